"""Stage tracking: events matched by the tracking plan keep each profile's stage on each map current."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from customers import services
from customers.models import Event, Profile, ProfileStage, StageTransition
from journeys.models import JourneyMap, Stage, Touchpoint
from webhooks.models import WebhookDelivery, WebhookEndpoint

T0 = timezone.now().replace(microsecond=0) - timedelta(days=1)


@pytest.fixture
def journey(team_a):
    journey_map = JourneyMap.objects.create(team=team_a, title="Furniture shop")
    stages = {
        name: Stage.objects.create(journey_map=journey_map, name=name, position=i)
        for i, name in enumerate(["Awareness", "Consideration", "Decision", "Purchase"])
    }
    product_page = Touchpoint.objects.create(stage=stages["Consideration"], name="Product page")
    return journey_map, stages, product_page


@pytest.fixture
def plan(journey, alice):
    _journey_map, stages, product_page = journey
    services.tracking_rule_create(
        actor=alice,
        stage=stages["Consideration"],
        touchpoint=product_page,
        event_type="page",
        path_pattern="/products/*",
    )
    services.tracking_rule_create(actor=alice, stage=stages["Decision"], event_name="Checkout Started")
    services.tracking_rule_create(
        actor=alice,
        stage=stages["Purchase"],
        event_name="Order Completed",
        conditions=[{"property": "country", "op": "in", "value": ["LV", "BG"]}],
    )
    return stages


@pytest.fixture
def ingest(source, django_capture_on_commit_callbacks):
    """Store events as the tracking API does, and run what follows the commit (stage matching)."""

    def run(*items):
        with (
            mock.patch("webhooks.tasks.webhook_deliver.delay"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return services.events_ingest(source=source, items=list(items), received_at=timezone.now())

    return run


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def current(profile_user="ana"):
    return ProfileStage.objects.select_related("stage").get(profile__user_id=profile_user)


def test_matching_events_move_the_profile_and_record_transitions(ingest, plan):
    ingest({"type": "page", "userId": "ana", "properties": {"path": "/products/chair"}, "timestamp": at(0)})
    assert current().stage == plan["Consideration"]
    ingest({"type": "track", "event": "Checkout Started", "userId": "ana", "messageId": "co", "timestamp": at(5)})
    now = current()
    assert now.stage == plan["Decision"]
    assert now.entered_at == T0 + timedelta(minutes=5)
    transitions = list(StageTransition.objects.order_by("entered_at").values_list("from_stage", "to_stage"))
    assert transitions == [(None, plan["Consideration"].pk), (plan["Consideration"].pk, plan["Decision"].pk)]
    assert StageTransition.objects.get(to_stage=plan["Decision"]).event == Event.objects.get(message_id="co")
    assert now.transition.to_stage == plan["Decision"]


def test_re_entry_is_allowed_and_the_same_stage_records_nothing(ingest, plan):
    ingest({"type": "page", "userId": "ana", "properties": {"path": "/products/chair"}, "timestamp": at(0)})
    ingest({"type": "page", "userId": "ana", "properties": {"path": "/products/table"}, "timestamp": at(1)})
    assert StageTransition.objects.count() == 1
    ingest({"type": "track", "event": "Checkout Started", "userId": "ana", "timestamp": at(2)})
    ingest({"type": "page", "userId": "ana", "context": {"page": {"path": "/products/sofa"}}, "timestamp": at(3)})
    assert current().stage == plan["Consideration"]
    assert StageTransition.objects.count() == 3


def test_an_event_older_than_the_current_entry_changes_nothing(ingest, plan):
    ingest({"type": "track", "event": "Checkout Started", "userId": "ana", "timestamp": at(10)})
    ingest({"type": "page", "userId": "ana", "properties": {"path": "/products/chair"}, "timestamp": at(1)})
    assert current().stage == plan["Decision"]
    assert StageTransition.objects.count() == 1


def test_property_conditions_must_hold(ingest, plan):
    ingest({"type": "track", "event": "Order Completed", "userId": "ana", "properties": {"country": "DE"}})
    assert not ProfileStage.objects.exists()
    ingest({"type": "track", "event": "Order Completed", "userId": "ana", "properties": {"country": "LV"}})
    assert current().stage == plan["Purchase"]


def test_non_matching_events_leave_profiles_unplaced(ingest, plan):
    ingest({"type": "track", "event": "Newsletter Opened", "userId": "ana"}, {"type": "page", "userId": "ana"})
    assert not ProfileStage.objects.exists()
    assert Profile.objects.get().last_seen_at is not None


def test_stage_change_is_announced_as_a_webhook_event(ingest, plan, team_a):
    endpoint = WebhookEndpoint.objects.create(
        team=team_a, url="https://93.184.215.14/hook", event_types=["profile.stage_changed"], secret="whsec_x"
    )
    ingest({"type": "track", "event": "Checkout Started", "userId": "ana", "timestamp": at(0)})
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.event == "profile.stage_changed"
    data = delivery.payload["data"]
    profile = Profile.objects.get(user_id="ana")
    assert (data["profile"], data["to_stage"], data["from_stage"]) == (profile.pk, plan["Decision"].pk, None)


def test_a_rule_added_later_applies_at_once(ingest, journey, alice):
    _journey_map, stages, _ = journey
    ingest({"type": "track", "event": "Brochure Downloaded", "userId": "ana"})
    assert not ProfileStage.objects.exists()
    services.tracking_rule_create(actor=alice, stage=stages["Awareness"], event_name="Brochure Downloaded")
    ingest({"type": "track", "event": "Brochure Downloaded", "userId": "ana"})
    assert current().stage == stages["Awareness"]


def test_identify_merge_keeps_the_later_current_stage(ingest, plan):
    ingest({"type": "page", "anonymousId": "a-ana", "properties": {"path": "/products/chair"}, "timestamp": at(0)})
    ingest({"type": "track", "event": "Checkout Started", "userId": "ana", "timestamp": at(5)})
    assert ProfileStage.objects.count() == 2
    ingest({"type": "identify", "userId": "ana", "anonymousId": "a-ana", "timestamp": at(6)})
    assert ProfileStage.objects.count() == 1
    assert current().stage == plan["Decision"]
    assert StageTransition.objects.filter(profile__user_id="ana").count() == 2


def test_rule_validation(journey, alice, team_b, oscar):
    _journey_map, stages, product_page = journey
    with pytest.raises(ValidationError) as error:
        services.tracking_rule_create(actor=alice, stage=stages["Decision"])
    assert "event_name" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.tracking_rule_create(actor=alice, stage=stages["Decision"], touchpoint=product_page, event_name="X")
    assert "touchpoint" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.tracking_rule_create(
            actor=alice, stage=stages["Decision"], event_name="X", conditions=[{"property": "a", "op": "regex"}]
        )
    assert "conditions" in error.value.message_dict


def test_viewer_and_outsider_cannot_write_rules(journey, victor, oscar):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    _, stages, _ = journey
    with pytest.raises(PermissionDenied):
        services.tracking_rule_create(actor=victor, stage=stages["Decision"], event_name="X")
    with pytest.raises(Http404):
        services.tracking_rule_create(actor=oscar, stage=stages["Decision"], event_name="X")


def test_last_seen_moves_forward_only(ingest, team_a):
    # Times after the receipt (within the future tolerance), so the profile's creation time is older.
    soon = timezone.now().replace(microsecond=0) + timedelta(minutes=1)

    def later(minutes):
        return (soon + timedelta(minutes=minutes)).isoformat()

    ingest({"type": "track", "event": "A", "userId": "ana", "timestamp": later(30)})
    ingest({"type": "track", "event": "B", "userId": "bob", "timestamp": later(5)})
    ingest(
        {"type": "track", "event": "Old", "userId": "ana", "timestamp": later(10)},
        {"type": "track", "event": "New", "userId": "bob", "timestamp": later(50)},
    )
    assert Profile.objects.get(user_id="ana").last_seen_at == soon + timedelta(minutes=30)
    assert Profile.objects.get(user_id="bob").last_seen_at == soon + timedelta(minutes=50)


def test_events_stored_while_the_broker_is_down_are_matched_once_by_the_sweep(
    source, plan, django_capture_on_commit_callbacks, caplog
):
    from kombu.exceptions import OperationalError

    from customers import stages, tasks

    item = {"type": "track", "event": "Checkout Started", "userId": "ana", "messageId": "down-1", "timestamp": at(0)}
    received = timezone.now() - timedelta(minutes=5)
    with (
        # Both ways of queueing fail: the Redis list (with Redis) and the task of its own (without).
        mock.patch.object(tasks, "events_match_enqueue", side_effect=OperationalError("broker down")),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        result = services.events_ingest(source=source, items=[item], received_at=received)
    assert len(callbacks) == 1 and result.stored == 1  # the queueing ran, failed, and was logged
    assert "the sweep will" in caplog.text
    event = Event.objects.get(message_id="down-1")
    assert event.matched_at is None and not ProfileStage.objects.exists()

    with mock.patch("webhooks.tasks.webhook_deliver.delay"):
        assert tasks.events_match_due() == 1
        # Run again, and the task that was lost arrives after all: nothing is recorded twice.
        assert tasks.events_match_due() == 0
        assert stages.events_match(event_ids=[event.pk]) == 0
    assert current().stage == plan["Decision"]
    assert StageTransition.objects.count() == 1
    event.refresh_from_db()
    assert event.matched_at is not None


def test_the_sweep_leaves_events_younger_than_a_minute_to_their_task(source, plan, django_capture_on_commit_callbacks):
    from customers import tasks

    item = {"type": "track", "event": "Checkout Started", "userId": "ana", "messageId": "young", "timestamp": at(0)}
    with (
        mock.patch.object(tasks, "events_match_enqueue"),  # queued, its task not run yet
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.events_ingest(source=source, items=[item], received_at=timezone.now())
    assert tasks.events_match_due() == 0
    assert Event.objects.get(message_id="young").matched_at is None
