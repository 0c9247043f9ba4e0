"""Property-based API robustness: every operation in /api/schema/, fed generated input.

Schemathesis reads the OpenAPI schema the project serves and calls each operation through WSGI
with valid and invalid input. No answer may be a server error, and every answer must match the
schema (the error body included, see ``teams.api_errors.add_error_responses``). Two runs:
with a read-write team API key (what integrations use) over every operation, and signed in as a
team admin over the people-only operations (teams, members, API keys, webhooks) that keys may not
write. The number of examples is bounded so the whole file runs in CI in a few minutes; raise
``SCHEMATHESIS_EXAMPLES`` to search harder locally.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from feedback.models import Survey
from feedback.public_docs import EXAMPLE_PUBLIC_KEY
from teams.api_auth import ApiKeyRateThrottle
from teams.models import ApiKey
from teams.services import api_key_create

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "3"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
PEOPLE_ONLY = r"^/api/v1/(teams|memberships|api-keys|webhooks|webhook-deliveries)/"
CSRF = "wmcsrftokenforschemathesis000000"  # 32 characters, as Django's CSRF cookie
PUBLIC = r"^/api/public/"
ALLOWED_ORIGIN = "https://shop.example.com"

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """Keep the test's database connection across the WSGI calls, as Django's test client does.

    Schemathesis calls the WSGI app directly, so request_started/finished fire and Django would
    close the connection of the test transaction (on PostgreSQL; SQLite's in-memory one survives).
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_world(db, team_a, alice, erin, victor, monkeypatch, settings):
    """Team A with people and one object of every model, so ids in the schema's examples can hit."""
    from tests.world import build_world

    world = build_world({"team": team_a, "admin": alice, "editor": erin, "viewer": victor})
    # The public survey endpoints' path parameter has this key as its example: reach a real survey.
    survey = world[Survey]
    assert survey.status == Survey.Status.ACTIVE
    Survey.objects.filter(pk=survey.pk).update(public_key=EXAMPLE_PUBLIC_KEY, allowed_origins=[ALLOWED_ORIGIN])
    # Thousands of requests in a minute would otherwise meet the per-key limit (tested on its own).
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "100000/min"})
    settings.FEEDBACK_RATE_LIMIT = "100000/min"  # likewise the public endpoints' per-address limit
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    return team_a


@pytest.fixture
def key_headers(api_world, alice):
    _, raw = api_key_create(team=api_world, actor=alice, name="schemathesis", scope=ApiKey.Scope.READ_WRITE)
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def admin_session_headers(api_world, alice, client):
    client.force_login(alice)
    session = client.cookies["sessionid"].value
    return {"Cookie": f"sessionid={session}; csrftoken={CSRF}", "X-CSRFToken": CSRF}


@pytest.mark.django_db
@schema.parametrize()
@HYPOTHESIS
def test_api_with_a_team_key(case, key_headers, django_capture_on_commit_callbacks):
    # Webhook deliveries and other after-commit work run as they would in production.
    with django_capture_on_commit_callbacks(execute=True):
        case.call_and_validate(headers=key_headers, checks=CHECKS)


@pytest.mark.django_db
@schema.include(path_regex=PEOPLE_ONLY).parametrize()
@HYPOTHESIS
def test_people_only_api_as_a_team_admin(case, admin_session_headers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case.call_and_validate(headers=admin_session_headers, checks=CHECKS)


@pytest.mark.django_db
@schema.include(path_regex=PUBLIC).parametrize()
@HYPOTHESIS
def test_public_survey_endpoints_from_an_allowed_origin(case, api_world, django_capture_on_commit_callbacks):
    """The anonymous survey endpoints as the widget calls them: the active survey, an allowed Origin.

    The run with a team key above sends generated keys (mostly unknown: 404) and no ``Origin`` (as
    a server would, which the origin check admits); here every case aims at the active survey, so
    the generated bodies and parameters meet its questions, and the CORS path runs too.
    """
    case.path_parameters["public_key"] = EXAMPLE_PUBLIC_KEY
    with django_capture_on_commit_callbacks(execute=True):
        case.call_and_validate(headers={"Origin": ALLOWED_ORIGIN}, checks=CHECKS)
