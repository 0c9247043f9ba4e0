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


# --- the stored counts the map page reads (OverlayStat) -------------------------------------------


def _generated_stream(rng, n: int, *, tag: str) -> list:
    """``n`` calls at random over 100 days: 25 anonymous visitors, a third of whom identify (two
    anonymous ids to one user id now and then: a merge), checkouts, pricing pages and noise."""
    stream = []
    for _ in range(n):
        anon = f"a-{tag}-{rng.randrange(25)}"
        ago = rng.randrange(100)
        roll = rng.random()
        if roll < 0.1:
            stream.append(("identify", "", anon, f"u-{rng.randrange(6)}", ago))
        elif roll < 0.5:
            stream.append(("track", "Checkout Started", anon, "", ago))
        elif roll < 0.85:
            stream.append(("page", rng.choice(["/pricing", "/pricing/teams", "/about"]), anon, "", ago))
        else:
            stream.append(("track", "Newsletter Signup", anon, "", ago))
    return stream


@pytest.fixture
def generated(plan, source):
    import random

    rng = random.Random(1919)
    stream = _generated_stream(rng, 300, tag="g1")
    events_match(event_ids=_send(source, stream))
    return {**plan, "rng": rng}


def _stored(journey_map, days):
    computed_at, first, counts = overlay.stored_counts(journey_map, days=days)
    return computed_at, first, counts


@pytest.mark.parametrize("days", [7, 30, 90])
def test_stored_counts_equal_the_computed_ones_and_the_reference(generated, days):
    now = timezone.now()
    assert overlay.overlay_stats_refresh(journey_map=generated["map"], now=now) == 3  # one row per period
    computed_at, first, stored = _stored(generated["map"], days)
    assert computed_at == now and first == TODAY - timedelta(days=days - 1)
    assert stored == overlay.touchpoint_counts(generated["map"], days=days) == reference(_rules(generated), days)
    # The generated visitors reach the overlay: many customers over 90 days, some in the last week.
    assert stored[generated["checkout"].pk]["profiles"] > (10 if days == 90 else 1)


def test_new_events_wait_for_the_next_refresh(generated, source):
    journey_map = generated["map"]
    overlay.overlay_stats_refresh(journey_map=journey_map)
    before = overlay.touchpoint_counts(journey_map, days=30)
    events_match(event_ids=_send(source, _generated_stream(generated["rng"], 120, tag="g2")))
    after = overlay.touchpoint_counts(journey_map, days=30)
    assert after != before  # the new events change the counts computed now...
    assert _stored(journey_map, 30)[2] == before  # ...not the stored ones, as of the refresh
    overlay.overlay_stats_refresh(journey_map=journey_map)
    assert _stored(journey_map, 30)[2] == after == reference(_rules(generated), 30)


def test_a_row_older_than_the_maximum_age_is_not_read(plan):
    from django.test import override_settings

    overlay.overlay_stats_refresh(journey_map=plan["map"], now=timezone.now() - timedelta(seconds=901))
    with override_settings(CUSTOMERS_OVERLAY_MAX_AGE_SECONDS=900):
        assert overlay.stored_counts(plan["map"], days=30) is None
    with override_settings(CUSTOMERS_OVERLAY_MAX_AGE_SECONDS=1000):
        assert overlay.stored_counts(plan["map"], days=30) is not None


def test_a_rule_change_drops_the_stored_counts(plan, alice, django_capture_on_commit_callbacks):
    from customers.models import OverlayStat

    overlay.overlay_stats_refresh(journey_map=plan["map"])
    assert OverlayStat.objects.filter(journey_map=plan["map"]).count() == 3
    stage = plan["checkout"].stage
    signup = Touchpoint.objects.create(stage=stage, name="Newsletter", position=4)
    with django_capture_on_commit_callbacks(execute=True):
        services.tracking_rule_create(actor=alice, stage=stage, touchpoint=signup, event_name="Newsletter Signup")
    assert not OverlayStat.objects.filter(journey_map=plan["map"]).exists()  # counted per view until the refresh


def test_the_beat_task_refreshes_instrumented_maps_only(plan, team_a, settings):
    from customers import tasks
    from customers.models import OverlayStat, TrackingRule

    assert settings.CELERY_BEAT_SCHEDULE["customers-overlay-stats"]["task"] == (
        "customers.tasks.overlay_stats_refresh_all"
    )
    plain = JourneyMap.objects.create(team=team_a, title="Plain")
    assert tasks.overlay_stats_refresh_all() == 3
    assert set(OverlayStat.objects.values_list("journey_map_id", flat=True)) == {plan["map"].pk}
    assert plain.pk != plan["map"].pk
    TrackingRule.objects.filter(journey_map=plan["map"]).update(is_active=False)
    assert tasks.overlay_stats_refresh_all() == 0
    assert not OverlayStat.objects.exists()  # a map without rules left keeps no stored rows


def _without_as_of(html: str) -> str:
    """The page without the "as of" line and its per-request CSRF token and CSP nonces."""
    import re

    html = re.sub(r'<p class="wm-muted wm-small-text wm-as-of" data-testid="overlay-as-of">[^<]*</p>', "", html)
    html = re.sub(r'nonce="[^"]*"', "", html)
    return re.sub(r"[A-Za-z0-9]{64}", "", html)


@pytest.mark.parametrize("period", ["7", "30", "90"])
def test_map_page_draws_the_same_overlay_from_the_stored_counts(
    generated, client_as, victor, period, django_assert_max_num_queries
):
    from customers.models import OverlayStat

    client = client_as(victor)
    url = reverse("journeys:map_detail", args=[generated["map"].pk]) + f"?period={period}"
    client.get(url)  # warm the per-process caches
    with CaptureQueriesContext(connection) as computed_now:
        per_view = client.get(url).content.decode()
    assert 'data-testid="overlay-as-of"' not in per_view and 'data-testid="overlay"' in per_view
    overlay.overlay_stats_refresh(journey_map=generated["map"])
    # One stored row instead of the two sums over the roll-up: one query fewer.
    with django_assert_max_num_queries(len(computed_now.captured_queries) - 1):
        response = client.get(url)
    stored = response.content.decode()
    assert response.status_code == 200
    when = OverlayStat.objects.get(journey_map=generated["map"], days=int(period)).computed_at
    assert f'data-testid="overlay-as-of">Tracking figures as of {when:%Y-%m-%d %H:%M} UTC</p>' in stored
    assert _without_as_of(stored) == _without_as_of(per_view)


def test_the_as_of_line_is_translated_on_the_page(plan, client_as, victor):
    overlay.overlay_stats_refresh(journey_map=plan["map"])
    client = client_as(victor)
    html = client.get(reverse("journeys:map_detail", args=[plan["map"].pk]), HTTP_ACCEPT_LANGUAGE="lv").content
    from django.utils import translation

    with translation.override("lv"):
        text = translation.gettext("Tracking figures as of %(when)s")
    assert text != "Tracking figures as of %(when)s"
    assert text.split("%(when)s")[0].strip().encode() in html
