"""The tracking plan on the map page (customers.overlay): events and unique customers per touchpoint
in the chosen period, the daily sparkline, "Not instrumented", the period selector, the roll-up
kept by matching and rebuilt when rules change — against a plain-Python count over the same events."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers import overlay, services
from customers.models import Event, TrackingRuleDay
from customers.stages import events_match, rollup_rebuild
from journeys.models import JourneyMap, Stage, Touchpoint

TODAY = timezone.now().date()


def _at(days_ago: int, hour: int = 12) -> str:
    day = TODAY - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC).isoformat()


# (call, name or path, anonymous id, user id, days ago): ana browses anonymously, then identifies
# (her two ids are one customer); bob and cy come once; old visits fall outside 7 and 30 days.
STREAM = [
    ("track", "Checkout Started", "a-ana", "", 0),
    ("track", "Checkout Started", "a-ana", "", 0),
    ("identify", "", "a-ana", "ana", 0),
    ("track", "Checkout Started", "", "ana", 2),
    ("track", "Checkout Started", "a-bob", "", 5),
    ("track", "Checkout Started", "a-cy", "", 12),
    ("track", "Checkout Started", "a-dee", "", 45),
    ("page", "/pricing", "a-bob", "", 1),
    ("page", "/pricing/teams", "a-cy", "", 20),
    ("page", "/pricing", "a-eve", "", 89),
    ("page", "/pricing", "a-old", "", 120),
    ("track", "Newsletter Signup", "a-fay", "", 3),
]


def _send(source, stream):
    items = []
    for i, (call, name, anon, user, ago) in enumerate(stream):
        item = {"type": call, "messageId": f"m-{i}-{anon}-{user}", "timestamp": _at(ago)}
        if anon:
            item["anonymousId"] = anon
        if user:
            item["userId"] = user
        if call == "track":
            item["event"] = name
        if call == "page":
            item["context"] = {"page": {"path": name}}
        items.append(item)
    result = services.events_ingest(source=source, items=items, received_at=timezone.now())
    assert not result.refused
    return result.event_ids


@pytest.fixture
def plan(team_a, alice, source):
    """A map whose touchpoints are bound (or not) by rules, and the events above, matched."""
    journey_map = JourneyMap.objects.create(team=team_a, title="Shop")
    decision = Stage.objects.create(journey_map=journey_map, name="Decision", position=0)
    checkout = Touchpoint.objects.create(stage=decision, name="Checkout")
    pricing = Touchpoint.objects.create(stage=decision, name="Pricing", position=1)
    returns = Touchpoint.objects.create(stage=decision, name="Returns", position=2)
    chat = Touchpoint.objects.create(stage=decision, name="Chat", position=3)
    services.tracking_rule_create(actor=alice, stage=decision, touchpoint=checkout, event_name="Checkout Started")
    # Two rules for one touchpoint: an event they both match counts once.
    for pattern in ("/pricing*", "/pricing"):
        services.tracking_rule_create(
            actor=alice, stage=decision, touchpoint=pricing, event_type="page", path_pattern=pattern
        )
    services.tracking_rule_create(actor=alice, stage=decision, touchpoint=returns, event_name="Returns Viewed")
    events_match(event_ids=_send(source, STREAM))
    return {"map": journey_map, "checkout": checkout, "pricing": pricing, "returns": returns, "chat": chat}


def reference(touchpoint_rules: dict, days: int) -> dict:
    """Count in plain Python over the stored events: per touchpoint, the events any of its rules
    (written here as (call, name or path prefix)) match on each UTC day of the period, and the
    distinct customers (profiles, through each event's identity) behind them."""
    first = TODAY - timedelta(days=days - 1)
    out = {}
    for tp_id, rules in touchpoint_rules.items():
        daily = [0] * days
        people = set()
        for event in Event.objects.select_related("identity"):
            day = event.timestamp.astimezone(UTC).date()
            if not (first <= day <= TODAY):
                continue
            hit = any(
                event.type == call and (event.event == what if call == "track" else event.path.startswith(what))
                for call, what in rules
            )
            if hit:
                daily[(day - first).days] += 1
                people.add(event.identity.profile_id)
        if sum(daily):
            out[tp_id] = {"events": sum(daily), "profiles": len(people), "daily": daily}
    return out


def _rules(plan):
    return {
        plan["checkout"].pk: [("track", "Checkout Started")],
        plan["pricing"].pk: [("page", "/pricing")],
        plan["returns"].pk: [("track", "Returns Viewed")],
    }


@pytest.mark.parametrize("days", [7, 30, 90])
def test_counts_match_a_plain_python_count(plan, days):
    expected = reference(_rules(plan), days)
    assert overlay.touchpoint_counts(plan["map"], days=days) == expected
    # The numbers themselves, so the reference cannot drift with the code it checks.
    checkout = {7: (4, 2), 30: (5, 3), 90: (6, 4)}[days]
    assert (expected[plan["checkout"].pk]["events"], expected[plan["checkout"].pk]["profiles"]) == checkout
    assert expected[plan["pricing"].pk]["events"] == {7: 1, 30: 2, 90: 3}[days]


def test_the_anonymous_and_identified_visits_of_one_person_count_once(plan):
    counts = overlay.touchpoint_counts(plan["map"], days=7)[plan["checkout"].pk]
    # ana (anonymous twice today, identified two days ago) and bob.
    assert counts["events"] == 4 and counts["profiles"] == 2
    assert counts["daily"][-1] == 2 and counts["daily"][-3] == 1 and counts["daily"][-6] == 1


def test_map_page_shows_counts_sparkline_and_not_instrumented(client_as, victor, plan):
    html = client_as(victor).get(reverse("journeys:map_detail", args=[plan["map"].pk])).content.decode()
    assert 'data-events="5" data-profiles="3"' in html  # Checkout, 30 days
    assert "5 events · 3 customers" in html
    assert 'aria-label="5 events from 3 customers in the last 30 days; busiest day' in html
    assert f"busiest day {TODAY.isoformat()} (UTC): 2" in html
    assert "<svg" in html and "<title>5 events from 3 customers" in html
    assert "Not instrumented: no events in 30 days" in html  # Returns: a rule, no event
    assert "Not instrumented: no tracking rule" in html  # Chat


def test_period_selector_reloads_the_board_with_the_period(client_as, victor, plan):
    client = client_as(victor)
    url = reverse("journeys:map_detail", args=[plan["map"].pk])
    page = client.get(url).content.decode()
    assert '<select name="period">' in page and '<option value="30" selected>' in page
    response = client.get(url, {"period": "7"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="map-workspace")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # the workspace partial
    assert "4 events · 2 customers" in html and "Not instrumented: no events in 7 days" in html
    ninety = client.get(url, {"period": "90"}).content.decode()
    assert "6 events · 4 customers" in ninety and '<option value="90" selected>' in ninety
    # An unknown period falls back to 30 days.
    assert "5 events · 3 customers" in client.get(url, {"period": "365"}).content.decode()


def test_map_page_queries_do_not_grow_with_the_map(client_as, victor, plan, django_assert_max_num_queries, alice):
    client = client_as(victor)
    url = reverse("journeys:map_detail", args=[plan["map"].pk])
    client.get(url)  # warm the per-process caches
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    stage = Stage.objects.create(journey_map=plan["map"], name="Purchase", position=1)
    for i in range(12):
        tp = Touchpoint.objects.create(stage=stage, name=f"Step {i}", position=i)
        services.tracking_rule_create(actor=alice, stage=stage, touchpoint=tp, event_name=f"Step {i}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        html = client.get(url).content.decode()
    assert html.count("Not instrumented: no events in 30 days") == 13


def test_a_new_rule_counts_the_events_already_received(plan, alice, django_capture_on_commit_callbacks):
    stage = plan["checkout"].stage
    signup = Touchpoint.objects.create(stage=stage, name="Newsletter", position=4)
    with django_capture_on_commit_callbacks(execute=True):
        services.tracking_rule_create(actor=alice, stage=stage, touchpoint=signup, event_name="Newsletter Signup")
    counts = overlay.touchpoint_counts(plan["map"], days=30)
    assert counts[signup.pk]["events"] == 1 and counts[signup.pk]["profiles"] == 1


def test_rebuild_gives_the_same_rows_as_matching(plan):
    def rows():
        return sorted(TrackingRuleDay.objects.values_list("rule_id", "day", "identity_id", "events"))

    matched = rows()
    assert sum(r[3] for r in matched) == 10  # 6 checkout + 3 pricing inside 90 days, +1 at 120 days
    counted = rollup_rebuild(journey_map_id=plan["map"].pk)
    assert counted == 9  # the rebuild recounts the last 90 days only
    assert [r for r in rows() if r[1] >= TODAY - timedelta(days=89)] == [
        r for r in matched if r[1] >= TODAY - timedelta(days=89)
    ]


def test_deleting_a_rule_gives_its_events_to_the_touchpoints_other_rule(
    plan, alice, django_capture_on_commit_callbacks
):
    first_rule = plan["pricing"].tracking_rules.order_by("id").first()
    with django_capture_on_commit_callbacks(execute=True):
        services.tracking_rule_delete(rule=first_rule, actor=alice)
    # The remaining rule takes /pricing exactly: the /pricing/teams visit no longer counts.
    assert overlay.touchpoint_counts(plan["map"], days=90)[plan["pricing"].pk]["events"] == 2


def test_map_without_rules_shows_no_overlay(client_as, victor, team_a):
    journey_map = JourneyMap.objects.create(team=team_a, title="Plain")
    Touchpoint.objects.create(stage=Stage.objects.create(journey_map=journey_map, name="Awareness"), name="Ad")
    html = client_as(victor).get(reverse("journeys:map_detail", args=[journey_map.pk])).content.decode()
    assert "Not instrumented" not in html and "wm-sparkline" not in html


def test_retention_ages_the_roll_up_out_with_the_events(plan, alice, team_a):
    services.privacy_settings_update(actor=alice, team=team_a, retention_days=30)
    services.events_retention_sweep()
    assert not TrackingRuleDay.objects.filter(day__lt=TODAY - timedelta(days=30)).exists()
    assert TrackingRuleDay.objects.filter(day__gte=TODAY - timedelta(days=29)).exists()


def test_sparkline_is_named_with_its_numbers():
    svg = overlay.sparkline([0, 3, 1], "4 events")
    assert 'role="img"' in svg and 'aria-label="4 events"' in svg and "<title>4 events</title>" in svg
    assert 'points="0,19.0 1,1.0 2,13.0"' in svg


def test_rebuild_command_restores_a_lost_roll_up(plan):
    from io import StringIO

    from django.core.management import call_command

    TrackingRuleDay.objects.all().delete()
    out = StringIO()
    call_command("customers_rollup_rebuild", stdout=out)
    assert f"map {plan['map'].pk}: 9 events counted" in out.getvalue()
    assert overlay.touchpoint_counts(plan["map"], days=90) == reference(_rules(plan), 90)
