"""A furniture shop's map with a tracking plan, and helpers to ingest events and build automations."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from automations import services as auto
from customers import services
from customers.services import source_create
from journeys.models import JourneyMap, Stage, Touchpoint
from owners.models import SLA, Ownership

RETURNS = {
    "en": {"subject": "Our returns policy, {{ first_name }}", "body": "Hi {{ first_name }}, 30 days to return."},
    "zh-Hant": {"subject": "退貨政策，{{ first_name }}", "body": "{{ first_name }} 您好，30 天內可退貨。"},
    "lv": {"subject": "Atgriešanas noteikumi", "body": "Sveiki, {{ first_name }}! 30 dienas atgriešanai."},
}


@pytest.fixture
def shop(team_a, alice, erin):
    journey_map = JourneyMap.objects.create(team=team_a, title="Furniture shop")
    stages = {
        name: Stage.objects.create(journey_map=journey_map, name=name, position=i)
        for i, name in enumerate(["Awareness", "Consideration", "Decision", "Purchase"])
    }
    checkout = Touchpoint.objects.create(stage=stages["Decision"], name="Checkout", is_moment=True)
    SLA.objects.create(touchpoint=checkout, response_target=timedelta(hours=24))
    Ownership.objects.create(journey_map=journey_map, touchpoint=checkout, user=erin, role="accountable")
    services.tracking_rule_create(actor=alice, stage=stages["Consideration"], event_name="Product Viewed")
    services.tracking_rule_create(
        actor=alice, stage=stages["Decision"], touchpoint=checkout, event_name="Checkout Started"
    )
    services.tracking_rule_create(actor=alice, stage=stages["Purchase"], event_name="Order Completed")
    return journey_map, stages, checkout


@pytest.fixture
def source(team_a, alice):
    return source_create(team=team_a, actor=alice, name="Shop website", kind="web")[0]


@pytest.fixture
def ingest(source, django_capture_on_commit_callbacks):
    """Store events as the tracking API does and run what follows the commit (matching, automations)."""

    def run(*items):
        with (
            mock.patch("webhooks.tasks.webhook_deliver.delay"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return services.events_ingest(source=source, items=list(items), received_at=timezone.now())

    return run


@pytest.fixture
def no_holdout(monkeypatch):
    monkeypatch.setattr("automations.engine._rolls_holdout", lambda percent: False)


@pytest.fixture
def all_day(team_a):
    """No quiet hours for the team (start == end), so sends in tests go out whatever the clock says."""
    from datetime import time

    from automations.models import Respect

    return Respect.objects.create(team=team_a, quiet_start=time(0, 0), quiet_end=time(0, 0), max_messages=10)


@pytest.fixture
def decision_email(shop, alice):
    """Entered Decision → returns-policy email in the customer's language; active."""
    journey_map, stages, _checkout = shop
    automation = auto.automation_create(
        actor=alice,
        journey_map=journey_map,
        name="Returns policy at Decision",
        trigger="stage_entered",
        trigger_config={"stage": stages["Decision"].pk},
        exit_criteria={"next_stage": True},
    )
    auto.step_add(automation=automation, actor=alice, kind="email", config={"templates": RETURNS})
    return auto.automation_activate(automation=automation, actor=alice)


def identify(user_id, **traits):
    return {"type": "identify", "userId": user_id, "traits": traits}


def track(user_id, event, message_id=None, **extra):
    item = {"type": "track", "event": event, "userId": user_id, **extra}
    if message_id:
        item["messageId"] = message_id
    return item
