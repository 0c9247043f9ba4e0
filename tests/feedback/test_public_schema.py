"""The public survey endpoints are in the OpenAPI schema, anonymous (feedback/public_docs.py)."""

import pytest
from django.urls import resolve, reverse

from feedback import public
from feedback.public_docs import EXAMPLE_PUBLIC_KEY

PUBLIC_OPERATIONS = {
    ("/api/public/surveys/{public_key}/", "get"),
    ("/api/public/surveys/{public_key}/eligibility/", "get"),
    ("/api/public/surveys/{public_key}/displays/", "post"),
    ("/api/public/surveys/{public_key}/responses/", "post"),
}


@pytest.fixture
def schema(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_the_four_public_operations_are_in_the_schema_without_authentication(schema):
    for path, method in PUBLIC_OPERATIONS:
        operation = schema["paths"][path][method]
        assert operation["security"] == [{}], (path, method)
        key = next(p for p in operation["parameters"] if p["name"] == "public_key")
        assert key["in"] == "path"
        assert [example["value"] for example in key["examples"].values()] == [EXAMPLE_PUBLIC_KEY]
        assert "401" not in operation["responses"]
        assert operation["responses"]["429"]["headers"]["Retry-After"]
        assert {"403", "404"} <= set(operation["responses"])


def test_documented_paths_are_the_real_urls_served_by_the_plain_views():
    for name, path in (
        ("survey_definition", "/api/public/surveys/{public_key}/"),
        ("survey_eligibility", "/api/public/surveys/{public_key}/eligibility/"),
        ("survey_displays", "/api/public/surveys/{public_key}/displays/"),
        ("survey_responses", "/api/public/surveys/{public_key}/responses/"),
    ):
        url = path.replace("{public_key}", "KEY")
        assert reverse(f"feedback_public:{name}", args=["KEY"]) == url
        # The documentation views are in the schema's urlconf only, never in the one serving requests.
        assert resolve(url).func is getattr(public, name)


def test_status_codes_match_the_views(schema):
    paths = schema["paths"]
    assert set(paths["/api/public/surveys/{public_key}/responses/"]["post"]["responses"]) == {
        "200", "201", "202", "400", "403", "404", "409", "413", "415", "429",
    }  # fmt: skip
    assert set(paths["/api/public/surveys/{public_key}/displays/"]["post"]["responses"]) == {
        "201", "400", "403", "404", "409", "413", "415", "429",
    }  # fmt: skip
    for path in ("/api/public/surveys/{public_key}/", "/api/public/surveys/{public_key}/eligibility/"):
        assert set(paths[path]["get"]["responses"]) == {"200", "403", "404", "429"}


def test_the_offline_schema_command_includes_the_public_endpoints(tmp_path):
    from django.core.management import call_command

    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target), "--validate")
    text = target.read_text()
    assert "/api/public/surveys/{public_key}/responses/:" in text
    assert "/api/v1/maps/:" in text
