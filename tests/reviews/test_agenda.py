"""The agenda builds itself from what changed since the map's last review."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from experiments.models import Experiment
from feedback.models import FollowUp, Response, Survey
from journeys import services as journey_services
from journeys.health import map_health
from journeys.models import PainPoint, Stage
from owners.models import Handoff, HandoffCase
from reviews import selectors
from reviews.models import ActionItem

from .conftest import days_ago

pytestmark = pytest.mark.django_db


def test_first_agenda_diffs_the_latest_version_against_nothing(shop_map, v1):
    agenda = selectors.agenda_for(shop_map)
    assert agenda.is_first
    assert agenda.base_version is None and agenda.latest_version == v1
    added = {e["label"] for e in agenda.diff["touchpoints"] if e["status"] == "added"}
    assert added == {"Checkout"}


def test_agenda_shows_exactly_the_version_changes_since_the_reviewed_version(shop_map, v1, checkout, record, erin):
    record(shop_map)
    shop_map.refresh_from_db()
    journey_services.touchpoint_update(touchpoint=checkout, actor=erin, revision=None, name="Checkout and delivery")
    stage = Stage.objects.get(journey_map=shop_map, name="Consideration")
    journey_services.touchpoint_create(stage=stage, actor=erin, revision=None, name="Returns policy")
    shop_map.refresh_from_db()
    v2 = journey_services.map_publish(journey_map=shop_map, actor=erin)

    agenda = selectors.agenda_for(shop_map)
    assert (agenda.base_version, agenda.latest_version) == (v1, v2)
    touchpoints = {(e["status"], e["label"]) for e in agenda.diff["touchpoints"]}
    assert touchpoints == {("added", "Returns policy"), ("changed", "Checkout and delivery")}
    assert agenda.diff["summary"]["added"] == 1


def test_no_diff_when_the_reviewed_version_is_the_latest(shop_map, v1, record):
    record(shop_map)
    agenda = selectors.agenda_for(shop_map)
    assert agenda.diff is None
    assert agenda.latest_version == v1


def test_open_action_items_carry_over_and_done_ones_are_listed_once(shop_map, record, erin):
    with time_machine.travel(days_ago(7), tick=False):
        first = record(shop_map, items=[{"title": "Open one"}, {"title": "Done one"}])
    done = first.action_items.get(title="Done one")
    done.done, done.done_at = True, timezone.now()
    done.save()

    agenda = selectors.agenda_for(shop_map)
    assert [i.title for i in agenda.carried_over] == ["Open one"]
    assert [i.title for i in agenda.done_since] == ["Done one"]

    record(shop_map)  # next week's review: the done item is behind us, the open one still carries
    agenda = selectors.agenda_for(shop_map)
    assert [i.title for i in agenda.carried_over] == ["Open one"]
    assert agenda.done_since == []


def test_pain_points_opened_and_fixed_since_the_last_review(shop_map, checkout, record, erin):
    old = journey_services.pain_point_create(touchpoint=checkout, actor=erin, revision=None, title="Old pain")
    PainPoint.objects.filter(pk=old.pk).update(created_at=days_ago(30))
    with time_machine.travel(days_ago(7), tick=False):
        record(shop_map)
    journey_services.pain_point_update(pain_point=old, actor=erin, revision=None, status="fixed")
    journey_services.pain_point_create(touchpoint=checkout, actor=erin, revision=None, title="New pain", severity=5)

    agenda = selectors.agenda_for(shop_map)
    assert [p.title for p in agenda.pain_points_opened] == ["New pain"]
    assert [p.title for p in agenda.pain_points_fixed] == ["Old pain"]


def test_breaches_and_overdue_followups(team_a, shop_map, checkout, decision, record, erin):
    with time_machine.travel(days_ago(7), tick=False):
        record(shop_map)
    handoff = Handoff.objects.create(
        journey_map=shop_map, from_touchpoint=checkout, to_touchpoint=_second(decision, erin)
    )
    HandoffCase.objects.create(handoff=handoff, started_at=days_ago(3), due_at=days_ago(2), breached_at=days_ago(2))
    HandoffCase.objects.create(handoff=handoff, started_at=days_ago(12), due_at=days_ago(11), breached_at=days_ago(11))
    survey = Survey.objects.create(team=team_a, name="S")
    response = Response.objects.create(team=team_a, survey=survey, submission_id="a", score=2, touchpoint=checkout)
    FollowUp.objects.create(
        team=team_a, response=response, touchpoint=checkout, owner=erin, due_at=days_ago(1), breached_at=days_ago(1)
    )

    agenda = selectors.agenda_for(shop_map)
    assert len(agenda.handoff_breaches) == 1  # the older breach was on last week's agenda
    assert [f.owner for f in agenda.followup_breaches] == [erin]
    assert len(agenda.overdue_followups) == 1


def _second(stage, user):
    return journey_services.touchpoint_create(stage=stage, actor=user, revision=None, name="Courier hand-off")


def test_experiments_started_concluded_and_running(team_a, shop_map, checkout, record):
    with time_machine.travel(days_ago(7), tick=False):
        record(shop_map)
    Experiment.objects.create(
        team=team_a, title="Started", change="x", journey_map=shop_map, status="running", started_at=days_ago(2)
    )
    Experiment.objects.create(
        team=team_a, title="Old runner", change="x", touchpoint=checkout, status="running", started_at=days_ago(40)
    )
    Experiment.objects.create(
        team=team_a,
        title="Concluded",
        change="x",
        journey_map=shop_map,
        status="concluded",
        started_at=days_ago(30),
        concluded_at=days_ago(1),
    )
    Experiment.objects.create(team=team_a, title="Elsewhere", change="x", status="running", started_at=days_ago(1))

    agenda = selectors.agenda_for(shop_map)
    assert [e.title for e in agenda.experiments_started] == ["Started"]
    assert [e.title for e in agenda.experiments_concluded] == ["Concluded"]
    assert {e.title for e in agenda.experiments_running} == {"Started", "Old runner"}


def test_stage_movement_flags_only_moves_beyond_the_margin(shop_map, decision, record, nps_answers):
    awareness = Stage.objects.get(journey_map=shop_map, name="Awareness")
    with time_machine.travel(days_ago(7), tick=False):
        record(shop_map)
    # Decision: NPS from −50 to +50 on 200 answers each side: far beyond the margin.
    nps_answers(decision, n=200, promoters=50, detractors=150, at=days_ago(10))
    nps_answers(decision, n=200, promoters=150, detractors=50, at=days_ago(3))
    # Awareness: 0 to +10 on 20 answers each: within the margin.
    nps_answers(awareness, n=20, promoters=5, detractors=5, at=days_ago(10))
    nps_answers(awareness, n=20, promoters=6, detractors=4, at=days_ago(3))

    moves = {m.stage.name: m for m in selectors.agenda_for(shop_map).movements if m.metric == "nps"}
    assert moves["Decision"].before.value == -50.0 and moves["Decision"].now.value == 50.0
    assert moves["Decision"].delta == 100.0
    assert moves["Decision"].significant and moves["Decision"].direction == "up"
    assert moves["Awareness"].delta == 10.0
    assert not moves["Awareness"].significant
    assert moves["Awareness"].now.thin


def test_health_check_no_review_for_14_days(shop_map, record):
    with time_machine.travel(timezone.now() + datetime.timedelta(days=20)):
        codes = [i.code for i in map_health(shop_map).issues]
        assert "no_recent_review" in codes
        record(shop_map)
        assert "no_recent_review" not in [i.code for i in map_health(shop_map).issues]


def test_new_maps_are_not_stale_yet(shop_map):
    assert "no_recent_review" not in [i.code for i in map_health(shop_map).issues]


def test_agenda_health_lists_what_lowers_it(shop_map):
    agenda = selectors.agenda_for(shop_map)
    assert agenda.health.score < 100
    assert "empty_map" in [i.code for i in agenda.health.issues]


def test_not_reviewed_since_filter(team_a, shop_map, record, alice, erin):
    bank = journey_services.map_create(team=team_a, actor=erin, title="Bank")
    with time_machine.travel(days_ago(40), tick=False):
        record(bank, date=timezone.localdate())
    record(shop_map)
    since = timezone.localdate() - datetime.timedelta(days=30)
    titles = [m.title for m in selectors.maps_with_review_status(alice, not_reviewed_since=since)]
    assert titles == ["Bank"]


def test_action_item_overdue_queryset(shop_map, record):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    record(shop_map, items=[{"title": "Late", "due_date": yesterday}, {"title": "Fine"}], date=yesterday)
    assert list(ActionItem.objects.overdue().values_list("title", flat=True)) == ["Late"]
