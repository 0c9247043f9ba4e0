"""docs/api.md promises that every operation in /api/schema/ has a summary and a description, and
every write an example: walk the served schema and hold it to that."""

import pytest

WRITES = ("post", "put", "patch")
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def operations(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    found = [
        (method, path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]
    assert len(found) > 100
    return found


def test_every_operation_has_a_summary_and_a_description(operations):
    missing = [
        f"{method.upper()} {path}"
        for method, path, operation in operations
        if not (operation.get("summary") or "").strip() or not (operation.get("description") or "").strip()
    ]
    assert missing == []


def test_every_write_with_a_body_has_an_example(operations):
    missing = []
    for method, path, operation in operations:
        if method not in WRITES or "requestBody" not in operation:
            continue
        contents = operation["requestBody"].get("content", {}).values()
        if not any(content.get("example") is not None or content.get("examples") for content in contents):
            missing.append(f"{method.upper()} {path}")
    assert missing == []
