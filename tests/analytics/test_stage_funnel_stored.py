"""The map's stage funnel read from its stored rows (``analytics.stage_store``) against the walk of
the transitions (``SqlEngine.stage_figures``) and the plain-Python reference, figure for figure —
on the hard cases of ``test_stage_funnel_aggregated`` (re-entries before and in the period, second
visits, same-instant transitions, steps on the window's end and a millisecond after, sub-millisecond
times, Riga's daylight-saving week) plus entries half a millisecond before the period's ends — and
again after new and late transitions, a merge, a persona change, an SLA change and a zone change.
"""

from __future__ import annotations

from datetime import date, timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection
from django.http import QueryDict

from analytics import funnels, stage_store
from analytics.funnels import SqlEngine, engine_for, local_midnight, team_zone
from analytics.models import StageFunnelDay, StageFunnelDirty, StageFunnelEntry, StageFunnelState
from customers import services
from customers.models import Profile, StageTransition
from journeys.models import Touchpoint
from owners.models import SLA

from . import reference
from .test_funnels import assert_same, spec_for
from .test_stage_funnel_aggregated import T0, world  # noqa: F401 (the fixture)

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the stored funnel is PostgreSQL's")

FIRST = "2026-10-12"  # T0's day in Riga; the period runs 21 days, across the change on 2026-10-25
LAST = "2026-11-01"


@pytest.fixture
def stored(world, alice):  # noqa: F811 (the fixture above)
    """The world with 2-day SLAs on every stage (the map's default windows), edge entries, built."""
    for stage in world["stages"]:
        touchpoint = Touchpoint.objects.create(stage=stage, name=f"{stage.name} desk")
        SLA.objects.create(touchpoint=touchpoint, response_target=timedelta(days=2))
    tz = team_zone(world["team"])
    start = local_midnight(date.fromisoformat(FIRST), tz)
    end = local_midnight(date.fromisoformat(LAST) + timedelta(days=1), tz)
    profiles = list(Profile.objects.filter(team=world["team"]).order_by("pk"))
    first, second = world["stages"][:2]
    # Half a millisecond and less around the period's ends: in or out by the rounded time at the end,
    # by the raw time at the start.
    for profile, at in (
        (profiles[3], end - timedelta(microseconds=300)),
        (profiles[4], end - timedelta(microseconds=700)),
        (profiles[6], start - timedelta(microseconds=300)),
        (profiles[8], start),
    ):
        _enter(world, profile, first, at)
        _enter(world, profile, second, at + timedelta(hours=2))
    stage_store.stage_funnel_build(journey_map=world["map"])
    world["alice"] = alice
    return world


def _enter(state, profile, stage, at):
    transition = StageTransition.objects.create(
        team=state["team"], profile=profile, journey_map=state["map"], to_stage=stage, entered_at=at
    )
    state["rows"].append({"id": transition.pk, "person": profile.pk, "name": stage.pk, "type": "track", "ts": at})
    return transition


def map_query(state, **options):
    params = QueryDict(mutable=True)
    params.update({"start": FIRST, "end": LAST, **options})
    return funnels.map_query(state["map"], user=state["alice"], data=params)


def personas(state):
    return {p.pk: (p.traits or {}).get("persona") for p in Profile.objects.filter(team=state["team"])}


def assert_stored_is_exact(state, query, rows=None):
    """The stored answer exists, equals the walk's and the reference's (the persona groups too)."""
    answer = stage_store.stored_figures(query)
    assert answer is not None, "the stored funnel did not answer"
    assert answer == SqlEngine().stage_figures(query)
    expected = reference.funnel(rows or state["rows"], spec_for(query), breakdown=personas(state))
    assert_same(answer, expected)
    if query.breakdown == "persona":
        ranked = sorted(expected["groups"].items(), key=lambda item: (-item[1][0], item[0]))
        shown = [(r["value"], r["entered"], r["converted"]) for r in answer["breakdown"]["rows"]]
        assert shown[: query.top] == [(v, g[0], g[1]) for v, g in ranked[: query.top]]
    return answer


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"breakdown": "persona"},
        {"breakdown": "persona", "top": "1"},
        {"breakdown": "trait:plan"},
        {"start": "2026-10-17", "end": "2026-10-23"},
        {"start": "2026-10-22", "end": "2026-10-28", "breakdown": "persona"},  # the DST week
        {"start": "2026-10-15", "end": "2026-10-15"},
    ],
    ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()) or "default",
)
def test_the_stored_funnel_equals_the_walk_and_the_reference(stored, options):
    query = map_query(stored, **options)
    assert [int(step.window.total_seconds()) for step in query.steps] == [2 * 86400] * 4
    answer = assert_stored_is_exact(stored, query)
    if "start" not in options:
        assert answer["entries"] > 10 and answer["steps"][-1]["converted"] > 0
        assert answer["steps"][1]["time_to_convert"]["median"] is not None


def test_the_page_engine_answers_from_the_stored_rows_with_few_queries(stored, django_assert_max_num_queries):
    query = map_query(stored, breakdown="persona")
    with (
        mock.patch.object(SqlEngine, "stage_figures", side_effect=AssertionError("walked")),
        django_assert_max_num_queries(20),
    ):
        result = engine_for(stored["team"]).run(query)
    assert result["entries"] == reference.funnel(stored["rows"], spec_for(query))["entries"]


def test_new_and_late_transitions_are_queued_and_read_exactly(stored):
    profiles = list(Profile.objects.filter(team=stored["team"]).order_by("pk"))
    stages = stored["stages"]
    # A new entry, a late transition that completes an older entry, and one deleted.
    _enter(stored, profiles[20], stages[0], T0 + timedelta(days=6))
    _enter(stored, profiles[20], stages[1], T0 + timedelta(days=7))
    late = _enter(stored, profiles[21], stages[1], T0 + timedelta(days=1, hours=1))
    assert StageFunnelDirty.objects.filter(profile_id__in=[profiles[20].pk, profiles[21].pk]).count() >= 2
    assert_stored_is_exact(stored, map_query(stored, breakdown="persona"))
    assert not StageFunnelDirty.objects.exists()  # the read refreshed what was queued
    StageTransition.objects.filter(pk=late.pk).delete()
    stored["rows"] = [row for row in stored["rows"] if row["id"] != late.pk]
    assert StageFunnelDirty.objects.filter(profile_id=profiles[21].pk).exists()
    assert_stored_is_exact(stored, map_query(stored))


def test_an_identity_merge_is_read_exactly(stored):
    query = map_query(stored, breakdown="persona")
    before = assert_stored_is_exact(stored, query)
    calls = [
        {"type": "identify", "userId": "u1", "anonymousId": "p1", "messageId": "i1"},
        {"type": "identify", "userId": "u1", "anonymousId": "p2", "messageId": "i2"},
    ]
    with mock.patch("webhooks.tasks.webhook_deliver.delay"):
        services.events_ingest(source=stored["source"], items=calls, received_at=T0)
    survivor = {p.pk: p.merged_into_id or p.pk for p in Profile.objects.filter(team=stored["team"])}
    assert len(set(survivor.values())) == len(survivor) - 1
    rows = [{**row, "person": survivor[row["person"]]} for row in stored["rows"]]
    after = assert_stored_is_exact(stored, query, rows)
    assert after["entries"] == before["entries"] - 1


def test_a_persona_change_is_read_exactly(stored):
    query = map_query(stored, breakdown="persona", top="50")
    assert_stored_is_exact(stored, query)
    profile = Profile.objects.filter(team=stored["team"], pk__in=StageFunnelEntry.objects.values("profile_id")).first()
    profile.traits = {**profile.traits, "persona": "a new persona"}
    profile.save(update_fields=["traits"])
    assert StageFunnelDirty.objects.filter(profile_id=profile.pk).exists()
    answer = assert_stored_is_exact(stored, query)
    assert {row["value"]: row["entered"] for row in answer["breakdown"]["rows"]}["a new persona"] >= 1


def test_an_sla_change_is_walked_until_the_rebuild_then_read(stored):
    sla = SLA.objects.filter(touchpoint__stage=stored["stages"][2]).get()
    sla.response_target = timedelta(hours=30)
    sla.save(update_fields=["response_target"])
    query = map_query(stored)
    assert query.steps[2].window == timedelta(hours=30)
    assert stage_store.stored_figures(query) is None  # built for the old windows
    walked = engine_for(stored["team"]).run(query)
    assert walked == {**SqlEngine().stage_figures(query), "comparison": None}
    assert stage_store.stage_funnels_refresh_all() == 1
    assert StageFunnelState.objects.get(journey_map=stored["map"]).signature["windows"][2] == 30 * 3600 * 1000
    assert_stored_is_exact(stored, query)


def test_a_time_zone_change_is_walked_until_the_rebuild(stored):
    team = stored["team"]
    team.time_zone = "UTC"
    team.save(update_fields=["time_zone"])
    stored["map"].refresh_from_db()
    query = map_query(stored)
    assert stage_store.stored_figures(query) is None
    call_command("stage_funnels_rebuild", map_id=stored["map"].pk, stdout=mock.Mock())
    assert StageFunnelState.objects.get(journey_map=stored["map"]).signature["time_zone"] == "UTC"
    assert_stored_is_exact(stored, query)


def test_a_long_queue_is_walked_not_read_stale(stored):
    _enter(stored, Profile.objects.filter(team=stored["team"]).first(), stored["stages"][0], T0 + timedelta(days=3))
    query = map_query(stored)
    with mock.patch.object(stage_store, "REFRESH_ON_READ_LIMIT", 0):
        assert stage_store.stored_figures(query) is None
        result = engine_for(stored["team"]).run(query)
    assert result == {**SqlEngine().stage_figures(query), "comparison": None}
    assert StageFunnelDirty.objects.exists()  # left for the task


def test_other_queries_are_not_read_from_the_stored_rows(stored):
    for options in ({"window": "30"}, {"order": "strict"}, {"breakdown": "channel"}, {"count": "conversions"}):
        assert stage_store.stored_figures(map_query(stored, **options)) is None, options
    query = map_query(stored)
    shifted = funnels.FunnelQuery(**{**query.__dict__, "start": query.start + timedelta(hours=1)})
    assert stage_store.stored_figures(shifted) is None  # not a midnight in the team's zone


def test_the_day_rows_sum_the_entries(stored):
    days = StageFunnelDay.objects.filter(journey_map=stored["map"])
    assert (
        sum(days.values_list("entries", flat=True))
        == StageFunnelEntry.objects.filter(journey_map=stored["map"]).count()
    )
    assert StageFunnelEntry.objects.filter(journey_map=stored["map"]).count() == sum(
        1 for row in stored["rows"] if row["name"] == stored["stages"][0].pk
    )


def test_a_new_map_is_built_by_the_task_and_a_deleted_one_leaves_nothing_queued(stored):
    from analytics.tasks import stage_funnels_refresh_all

    StageFunnelState.objects.all().delete()
    _enter(stored, Profile.objects.filter(team=stored["team"]).first(), stored["stages"][0], T0 + timedelta(days=2))
    assert stage_funnels_refresh_all() == 1  # queued by the trigger, so built
    assert_stored_is_exact(stored, map_query(stored, breakdown="persona"))
    stored["map"].delete()
    assert StageFunnelDirty.objects.exists()  # the cascade's deletes queued the profiles
    assert stage_funnels_refresh_all() == 0
    assert not StageFunnelDirty.objects.exists()
    assert not StageFunnelEntry.objects.exists() and not StageFunnelState.objects.exists()


def test_a_read_does_not_wait_behind_a_long_refresh_it_walks(stored):
    import psycopg

    query = map_query(stored)
    settings = connection.settings_dict
    other = psycopg.connect(
        host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"], dbname=settings["NAME"]
    )
    # This test's transaction holds the map's lock since the fixture's build (until the test ends),
    # so the other session takes it in a key space of its own, which the read is pointed at.
    space = stage_store.LOCK_SPACE + 1
    try:
        # Another session holds the map's lock as a build does.
        other.execute("SELECT pg_advisory_lock(%s, %s)", [space, stored["map"].pk])
        with (
            mock.patch.object(stage_store, "READ_LOCK_WAIT", "50ms"),
            mock.patch.object(stage_store, "LOCK_SPACE", space),
        ):
            assert stage_store.stored_figures(query) is None
            result = engine_for(stored["team"]).run(query)
        assert result == {**SqlEngine().stage_figures(query), "comparison": None}
        with connection.cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            assert cursor.fetchone()[0] == "0"  # the read's own timeout did not outlive it
    finally:
        other.close()
    assert stage_store.stored_figures(query) is not None
