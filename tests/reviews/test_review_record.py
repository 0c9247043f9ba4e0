"""Recording a review: one atomic write of the review, its action items and the closed carry-overs."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from reviews import services
from reviews.models import ActionItem, Review
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_record_stores_review_items_and_reviewed_version(shop_map, v1, record, erin, alice, events):
    review = record(
        shop_map,
        items=[
            {"title": "Show delivery date", "owner": erin, "due_date": timezone.localdate()},
            {"title": "Rewrite returns policy", "owner": alice},
        ],
        facilitator=alice,
        attendees=[alice, erin],
        notes="Cart abandonment up",
        decisions="Ship the delivery date",
        kind=Review.Kind.QUARTERLY,
    )
    review.refresh_from_db()
    assert review.map_version == v1
    assert review.kind == "quarterly"
    assert set(review.attendees.values_list("username", flat=True)) == {"alice", "erin"}
    assert list(review.action_items.order_by("position").values_list("title", "owner__username", "done")) == [
        ("Show delivery date", "erin", False),
        ("Rewrite returns policy", "alice", False),
    ]
    [(team_id, _event, data)] = [e for e in events if e[1] == "review.recorded"]
    assert team_id == shop_map.team_id
    assert data["map"] == {"id": shop_map.pk, "title": "Online shop"}
    assert data["map_version"] == 1
    assert [i["title"] for i in data["action_items"]] == ["Show delivery date", "Rewrite returns policy"]


def test_record_closes_the_carried_over_items_it_is_told(shop_map, record, erin):
    first = record(shop_map, items=[{"title": "A"}, {"title": "B"}], date=timezone.localdate() - datetime.timedelta(7))
    a, b = first.action_items.order_by("position")
    record(shop_map, close_items=[a])
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.done, b.done) == (True, False)
    assert a.done_at is not None and b.done_at is None


def test_a_bad_action_item_stores_nothing(shop_map, record):
    with pytest.raises(ValidationError) as exc:
        record(shop_map, items=[{"title": "Fine"}, {"title": "  "}], notes="x")
    assert exc.value.message_dict["action_items"] == ["Item 2: give the action item a title."]
    assert Review.objects.count() == 0
    assert ActionItem.objects.count() == 0


def test_owner_must_be_a_team_member(shop_map, record, oscar):
    with pytest.raises(ValidationError) as exc:
        record(shop_map, items=[{"title": "Ask Oscar", "owner": oscar}])
    assert "Item 1: the owner must be a member of the team." in exc.value.message_dict["action_items"]
    assert Review.objects.count() == 0


def test_attendees_and_facilitator_must_be_members(shop_map, record, oscar):
    with pytest.raises(ValidationError) as exc:
        record(shop_map, attendees=[oscar], facilitator=oscar)
    assert set(exc.value.message_dict) == {"attendees", "facilitator"}


def test_links_must_be_on_the_reviewed_map(team_a, shop_map, record, erin):
    from journeys import services as journey_services

    other = journey_services.map_create(team=team_a, actor=erin, title="Bank")
    stage = other.stages.first()
    elsewhere = journey_services.touchpoint_create(stage=stage, actor=erin, revision=None, name="Elsewhere")
    with pytest.raises(ValidationError) as exc:
        record(shop_map, items=[{"title": "Fix it", "touchpoint": elsewhere}])
    assert exc.value.message_dict["action_items"] == ["Item 1: the touchpoint is not on this map."]


def test_future_dates_are_refused(shop_map, record):
    with pytest.raises(ValidationError) as exc:
        record(shop_map, date=timezone.localdate() + datetime.timedelta(days=1))
    assert "date" in exc.value.message_dict


def test_viewer_cannot_record(shop_map, record, victor):
    with pytest.raises(PermissionDenied):
        record(shop_map, user=victor)
    assert Review.objects.count() == 0


def test_version_of_another_map_is_refused(team_a, shop_map, v1, record, erin):
    from journeys import services as journey_services

    other = journey_services.map_create(team=team_a, actor=erin, title="Bank")
    other_version = journey_services.map_publish(journey_map=other, actor=erin)
    with pytest.raises(ValidationError) as exc:
        record(shop_map, map_version=other_version)
    assert "map_version" in exc.value.message_dict


def test_past_review_covers_until_the_end_of_its_day(shop_map, record):
    day = timezone.localdate() - datetime.timedelta(days=3)
    review = record(shop_map, date=day)
    assert timezone.localtime(review.covers_until).date() == day + datetime.timedelta(days=1)
    assert timezone.localtime(review.covers_until).time() == datetime.time.min


def test_action_item_done_stamps_and_clears_done_at(shop_map, record, erin):
    item = record(shop_map, items=[{"title": "A"}]).action_items.get()
    item = services.action_item_set_done(item=item, actor=erin, done=True)
    assert item.done and item.done_at is not None
    item = services.action_item_set_done(item=item, actor=erin, done=False)
    item.refresh_from_db()
    assert not item.done and item.done_at is None


def test_review_settings_update_checks_ranges_and_admin_role(team_a, alice, erin):
    with pytest.raises(ValidationError) as exc:
        services.review_settings_update(team=team_a, actor=alice, digest_hour=24)
    assert "digest_hour" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.review_settings_update(team=team_a, actor=erin, digest_hour=9)
    saved = services.review_settings_update(team=team_a, actor=alice, digest_hour=9, digest_weekday=5)
    assert (saved.digest_hour, saved.digest_weekday) == (9, 5)


def test_unsubscribe_token_round_trip_and_forgery():
    user = UserFactory(username="una")
    token = services.unsubscribe_token(user)
    assert services.user_from_unsubscribe_token(token) == user
    assert services.user_from_unsubscribe_token(token[:-2] + "xx") is None
    assert services.user_from_unsubscribe_token("nonsense") is None
