"""Unmapped events: the event names and page paths no rule of a map binds, and "Add as touchpoint"."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from customers import services
from customers.models import Event, TrackingRule
from customers.selectors import unmapped_events
from customers.stages import events_match
from journeys.models import JourneyMap, Stage, Touchpoint

TODAY = timezone.now().date()


def _at(days_ago: int) -> str:
    day = TODAY - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC).isoformat()


@pytest.fixture
def shop(team_a, alice, source):
    journey_map = JourneyMap.objects.create(team=team_a, title="Shop", revision=3)
    decision = Stage.objects.create(journey_map=journey_map, name="Decision", position=0)
    checkout = Touchpoint.objects.create(stage=decision, name="Checkout")
    services.tracking_rule_create(actor=alice, stage=decision, touchpoint=checkout, event_name="Checkout Started")
    services.tracking_rule_create(actor=alice, stage=decision, event_type="page", path_pattern="/checkout*")
    # A rule with a property condition still maps its name.
    services.tracking_rule_create(
        actor=alice,
        stage=decision,
        event_name="Coupon Applied",
        conditions=[{"property": "code", "op": "exists"}],
    )
    stream = [
        ("track", "Checkout Started", "a1", 0),
        ("track", "Coupon Applied", "a1", 0),
        ("track", "Returns Viewed", "a1", 1),
        ("track", "Returns Viewed", "a1", 2),
        ("track", "Returns Viewed", "a2", 3),
        ("track", "Wishlist Added", "a3", 20),
        ("track", "Old Thing", "a4", 40),
        ("page", "/checkout/step-1", "a1", 0),
        ("page", "/returns", "a2", 1),
        ("page", "/returns", "a3", 2),
        ("page", "/about", "a3", 5),
    ]
    items = []
    for i, (call, name, anon, ago) in enumerate(stream):
        item = {"type": call, "anonymousId": anon, "messageId": f"u-{i}", "timestamp": _at(ago)}
        item["event" if call == "track" else "context"] = name if call == "track" else {"page": {"path": name}}
        items.append(item)
    result = services.events_ingest(source=source, items=items, received_at=timezone.now())
    events_match(event_ids=result.event_ids)
    return journey_map


def reference(journey_map, days):
    """Plain Python: group the period's track names and page paths, drop what the fixture's rules bind."""
    first = TODAY - timedelta(days=days - 1)
    groups = {}
    for event in Event.objects.select_related("identity"):
        if event.timestamp.astimezone(UTC).date() < first or event.type not in ("track", "page"):
            continue
        name = event.event if event.type == "track" else event.path
        if name in ("Checkout Started", "Coupon Applied") or name.startswith("/checkout"):
            continue
        n, people = groups.get((event.type, name), (0, set()))
        groups[(event.type, name)] = (n + 1, people | {event.identity.profile_id})
    return sorted(
        ((t, name, n, len(people)) for (t, name), (n, people) in groups.items()),
        key=lambda row: (-row[2], -row[3], row[0], row[1]),
    )


@pytest.mark.parametrize("days", [7, 30, 90])
def test_unmapped_events_match_a_plain_python_count(shop, days):
    found = [(u.event_type, u.name, u.events, u.profiles) for u in unmapped_events(journey_map=shop, days=days)]
    assert found == reference(shop, days)
    if days == 7:
        assert found == [
            ("track", "Returns Viewed", 3, 2),
            ("page", "/returns", 2, 2),
            ("page", "/about", 1, 1),
        ]


def test_page_lists_them_most_frequent_first(client_as, victor, shop):
    response = client_as(victor).get(reverse("customers:unmapped_events", args=[shop.pk]), {"days": "7"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Returns Viewed") < html.index("/returns") < html.index("/about")
    assert "Wishlist Added" not in html and "Checkout Started" not in html
    assert "Add as touchpoint" not in html  # a viewer reads only
    thirty = client_as(victor).get(reverse("customers:unmapped_events", args=[shop.pk])).content.decode()
    assert "Wishlist Added" in thirty and "Old Thing" not in thirty


def test_map_page_links_the_unmapped_events(client_as, victor, shop):
    html = client_as(victor).get(reverse("journeys:map_detail", args=[shop.pk])).content.decode()
    assert reverse("customers:unmapped_events", args=[shop.pk]) in html


def test_editor_adds_a_page_path_as_a_touchpoint(client_as, erin, shop, django_capture_on_commit_callbacks):
    stage = shop.stages.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(erin).post(
            reverse("customers:unmapped_add", args=[shop.pk]) + "?days=7",
            {"stage": stage.pk, "event_type": "page", "path": "/returns"},
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:unmapped_events", args=[shop.pk]) + "?days=7"
    touchpoint = Touchpoint.objects.get(name="/returns")
    assert touchpoint.stage == stage and touchpoint.channel == "page"
    rule = TrackingRule.objects.get(touchpoint=touchpoint)
    assert (rule.event_type, rule.path_pattern, rule.event_name) == ("page", "/returns", "")
    shop.refresh_from_db()
    assert shop.revision == 4  # through journeys' service: the map's revision moved
    assert ("page", "/returns") not in {(u.event_type, u.name) for u in unmapped_events(journey_map=shop, days=7)}
    # The rule counted the visits already received (the roll-up was rebuilt after the commit).
    html = client_as(erin).get(reverse("journeys:map_detail", args=[shop.pk])).content.decode()
    assert "2 events · 2 customers" in html


def test_viewer_cannot_add(client_as, victor, shop):
    response = client_as(victor).post(
        reverse("customers:unmapped_add", args=[shop.pk]),
        {"stage": shop.stages.get().pk, "event_type": "track", "event_name": "Returns Viewed"},
    )
    assert response.status_code == 403
    assert not Touchpoint.objects.filter(name="Returns Viewed").exists()


def test_outsider_gets_404(client_as, oscar, shop):
    client = client_as(oscar)
    assert client.get(reverse("customers:unmapped_events", args=[shop.pk])).status_code == 404
    response = client.post(
        reverse("customers:unmapped_add", args=[shop.pk]),
        {"stage": shop.stages.get().pk, "event_type": "track", "event_name": "Returns Viewed"},
    )
    assert response.status_code == 404
    assert not Touchpoint.objects.filter(name="Returns Viewed").exists()


def test_wrong_methods_are_405(client_as, alice, shop):
    client = client_as(alice)
    assert client.post(reverse("customers:unmapped_events", args=[shop.pk])).status_code == 405
    assert client.get(reverse("customers:unmapped_add", args=[shop.pk])).status_code == 405


def test_service_checks_role_stage_and_input(shop, victor, erin, team_a):
    stage = shop.stages.get()
    with pytest.raises(PermissionDenied):
        services.touchpoint_from_event(
            actor=victor, journey_map=shop, stage=stage, event_type="track", event_name="Returns Viewed"
        )
    other = Stage.objects.create(journey_map=JourneyMap.objects.create(team=team_a, title="Other"), name="X")
    with pytest.raises(ValidationError) as exc:
        services.touchpoint_from_event(
            actor=erin, journey_map=shop, stage=other, event_type="track", event_name="Returns Viewed"
        )
    assert "stage" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.touchpoint_from_event(actor=erin, journey_map=shop, stage=stage, event_type="page", path="")
    with pytest.raises(ValidationError):
        services.touchpoint_from_event(actor=erin, journey_map=shop, stage=stage, event_type="screen", path="/x")
    assert not Touchpoint.objects.exclude(name="Checkout").exists()
    tp, rule = services.touchpoint_from_event(
        actor=erin, journey_map=shop, stage=stage, event_type="page", path="/sale*today"
    )
    # A literal * in the path is not a wildcard.
    assert rule.path_pattern == "/sale[*]today" and tp.name == "/sale*today"


def test_api_lists_and_adds(api_as, erin, victor, oscar, shop):
    url = f"/api/v1/unmapped-events/{shop.pk}/"
    response = api_as(victor).get(url, {"days": 7})
    assert response.status_code == 200
    body = response.json()
    assert body["map"] == shop.pk and body["days"] == 7
    assert [(r["event_type"], r["name"], r["events"], r["profiles"]) for r in body["results"]] == [
        ("track", "Returns Viewed", 3, 2),
        ("page", "/returns", 2, 2),
        ("page", "/about", 1, 1),
    ]
    assert api_as(victor).get(url, {"days": 5}).status_code == 400
    assert api_as(oscar).get(url).status_code == 404
    stage = shop.stages.get()
    payload = {"stage": stage.pk, "event_type": "track", "event_name": "Returns Viewed"}
    assert api_as(victor).post(url + "add/", payload, format="json").status_code == 403
    assert api_as(oscar).post(url + "add/", payload, format="json").status_code == 404
    assert api_as(erin).put(url, payload, format="json").status_code == 405
    assert not Touchpoint.objects.filter(name="Returns Viewed").exists()
    response = api_as(erin).post(url + "add/", payload, format="json")
    assert response.status_code == 201
    touchpoint = Touchpoint.objects.get(name="Returns Viewed", stage=stage)
    assert response.json()["touchpoint"] == touchpoint.pk
    assert response.json()["tracking_rule"]["event_name"] == "Returns Viewed"
    assert TrackingRule.objects.filter(touchpoint=touchpoint, event_type="track").count() == 1
