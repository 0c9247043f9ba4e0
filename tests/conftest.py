"""The people of every test module and the clients they use.

Team A has an admin (alice), an editor (erin) and a viewer (victor); the outsider (oscar) is an
admin of team B only. API clients authenticate with a session (``api_*``) or, for keys, with
``key_client``.
"""

import os

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from config import celery_app
from teams.models import ApiKey, Role
from teams.services import api_key_create
from teams.signals import domain_event

from .factories import MembershipFactory, TeamFactory, UserFactory

# Tests run Celery tasks in-process unless a test starts a real worker (tests marked celery_worker).
celery_app.conf.task_always_eager = True
celery_app.conf.task_eager_propagates = True

# Playwright's sync API runs an event loop in the test thread; Django's async-safety check would
# otherwise refuse the database calls the browser tests make between page actions.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _no_shared_state_thread(settings):
    """No background sync thread unless a test asks for one; no rate-limit count kept between tests.

    With ``REDIS_URL`` set the thread would make a test's outcome depend on when it last synced;
    tests of the shared state run the sync themselves.
    """
    from teams import ratelimit

    settings.SHARED_STATE_SYNC_SECONDS = 0
    ratelimit.reset()
    yield
    ratelimit.reset()


@pytest.fixture
def domain_events():
    """Collect ``(team_id, event, data)`` for each item of every domain event sent during the test."""
    seen = []

    def receiver(sender, *, team_id, event, items, **kwargs):
        seen.extend((team_id, str(event), data) for data in items)

    domain_event.connect(receiver, dispatch_uid="tests.domain_events")
    yield seen
    domain_event.disconnect(dispatch_uid="tests.domain_events")


@pytest.fixture
def without_webhooks():
    """Disconnect the webhooks' receiver, for a test that measures what a sender does itself."""
    from webhooks.apps import DELIVERIES
    from webhooks.services import on_domain_event

    domain_event.disconnect(dispatch_uid=DELIVERIES)
    yield
    domain_event.connect(on_domain_event, dispatch_uid=DELIVERIES)


@pytest.fixture
def team_a(db):
    return TeamFactory(name="Team A", slug="team-a")


@pytest.fixture
def team_b(db):
    return TeamFactory(name="Team B", slug="team-b")


@pytest.fixture
def alice(team_a):
    """Admin of team A."""
    return MembershipFactory(team=team_a, user=UserFactory(username="alice"), role=Role.ADMIN).user


@pytest.fixture
def erin(team_a):
    """Editor of team A."""
    return MembershipFactory(team=team_a, user=UserFactory(username="erin"), role=Role.EDITOR).user


@pytest.fixture
def victor(team_a):
    """Viewer of team A."""
    return MembershipFactory(team=team_a, user=UserFactory(username="victor"), role=Role.VIEWER).user


@pytest.fixture
def oscar(team_b):
    """Admin of team B, outsider to team A."""
    return MembershipFactory(team=team_b, user=UserFactory(username="oscar"), role=Role.ADMIN).user


@pytest.fixture
def people(alice, erin, victor, oscar):
    return {"admin": alice, "editor": erin, "viewer": victor, "outsider": oscar}


def _api_client(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user=None)
        client.force_login(user)
    return client


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def api_as():
    """Return an APIClient logged in (session) as the given user."""
    return _api_client


@pytest.fixture
def key_client(team_a, alice):
    """Return a function making an APIClient that sends a team-A key of the given scope."""

    def make(scope=ApiKey.Scope.READ_WRITE, team=None, actor=None):
        _, raw = api_key_create(team=team or team_a, actor=actor or alice, name=f"test {scope}", scope=scope)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


@pytest.fixture
def client_as(client):
    """Return the Django test client logged in as the given user."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture(autouse=True)
def _starts_and_ends_in_english():
    """Start and end every test in the default language.

    A request activates its language for the rest of the thread, and a new map's default stages are
    named in the active language: without this, a test that asked for Chinese would name the stages
    of a later test's maps in Chinese.
    """
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
