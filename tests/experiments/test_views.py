"""The experiment log's pages: timeline with filters, experiment page, edits, conclude, CSV import."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from experiments import services
from experiments.journey import annotate_map_with_experiments, severe_pain_points_without_experiment
from experiments.models import Deviation, Experiment, Observation
from journeys.extensions import registry
from journeys.models import Stage, Touchpoint

from .factories import journey

D = dt.date


@pytest.fixture
def metric(team_a, alice):
    return services.metric_create(team=team_a, actor=alice, name="Activation rate", key="activation", kind="proportion")


def make(team, user, metric, title, **extra):
    return services.experiment_create(
        team=team,
        actor=user,
        title=title,
        change="Cut onboarding from 4 steps to 3",
        primary_metric=metric,
        expected_effect=8,
        test_start=D(2025, 3, 3),
        test_end=D(2025, 3, 30),
        **extra,
    )


def push_flat(metric):
    """Give the A/B test window data without a significant change (an experiment needs data to conclude)."""
    for segment, successes in (("control", 900), ("treatment", 910)):
        services.observation_upsert(
            actor=None,
            metric=metric,
            period_start=D(2025, 3, 3),
            period_end=D(2025, 3, 30),
            segment=segment,
            sample_size=3000,
            successes=successes,
        )


def start(experiment, user):
    services.experiment_transition(experiment=experiment, actor=user, to="planned")
    return services.experiment_transition(experiment=experiment, actor=user, to="running")


def test_timeline_lists_filters_and_searches(client_as, alice, team_a, metric):
    _journey_map, stage, touchpoint, _ = journey(team_a)
    make(team_a, alice, metric, "Delivery date on product page", touchpoint=touchpoint, tags=["checkout"])
    make(team_a, alice, metric, "Loan calculator")
    client = client_as(alice)
    page = client.get(reverse("experiments:list"))
    assert page.status_code == 200
    assert "Delivery date on product page" in page.content.decode() and "Loan calculator" in page.content.decode()
    filtered = client.get(reverse("experiments:list"), {"stage": stage.pk}, HTTP_HX_REQUEST="true")
    body = filtered.content.decode()
    assert "Delivery date" in body and "Loan calculator" not in body and "<html" not in body
    assert "Loan calculator" in client.get(reverse("experiments:list"), {"search": "loan"}).content.decode()
    assert "No experiment matches" in client.get(reverse("experiments:list"), {"tag": "nope"}).content.decode()


def test_timeline_query_count_does_not_grow(client_as, alice, team_a, metric, django_assert_max_num_queries):
    _journey_map, _stage, touchpoint, _ = journey(team_a)
    push_flat(metric)
    for i in range(15):
        experiment = make(team_a, alice, metric, f"E{i}", touchpoint=touchpoint, tags=[f"t{i}"])
        if i % 3 == 0:
            start(experiment, alice)
            services.experiment_conclude(experiment=experiment, actor=alice, decision="iterate", learning="l")
    client = client_as(alice)
    with django_assert_max_num_queries(22):
        assert client.get(reverse("experiments:list")).status_code == 200


def test_scorecard_counts_predictions_per_stage_and_owner(client_as, alice, team_a, metric):
    _, stage, _touchpoint, _ = journey(team_a)
    push_flat(metric)
    for outcome in ("supported", "refuted", "supported"):
        experiment = start(make(team_a, alice, metric, f"E {outcome}", stage=stage), alice)
        services.experiment_conclude(experiment=experiment, actor=alice, decision="ship", learning="l", outcome=outcome)
    page = client_as(alice).get(reverse("experiments:list"))
    card = page.context["by_stage"]
    assert card[0]["label"] == "Decision"
    assert (card[0]["supported"], card[0]["total"], card[0]["rate"]) == (2, 3, 67)
    assert page.context["by_owner"][0]["total"] == 3


def test_empty_log_says_what_to_do_first(client_as, alice):
    body = client_as(alice).get(reverse("experiments:list")).content.decode()
    assert "No experiments yet" in body and "Log a hypothesis" in body


def test_create_through_the_form(client_as, erin, team_a, metric):
    response = client_as(erin).post(
        reverse("experiments:create"),
        {
            "title": "Three steps",
            "change": "Cut onboarding from 4 steps to 3",
            "primary_metric": metric.pk,
            "expected_direction": "increase",
            "expected_effect": "8",
            "expected_effect_unit": "relative",
            "design": "ab",
            "significance_level": "0.05",
            "control_segment": "control",
            "treatment_segment": "treatment",
            "planned_split": "0.5",
            "owner": erin.pk,
            "tags_text": "onboarding, activation",
        },
    )
    experiment = Experiment.objects.get()
    assert response.status_code == 302 and response["Location"] == experiment.get_absolute_url()
    assert experiment.owner == erin and experiment.tags.count() == 2


def test_create_form_error_is_shown_next_to_the_field(client_as, erin, metric):
    response = client_as(erin).post(reverse("experiments:create"), {"title": "", "change": ""})
    assert response.status_code == 400
    assert response.context["form"].errors["title"]
    assert not Experiment.objects.exists()


def _edit_data(experiment, **changes):
    data = {
        "title": experiment.title,
        "change": experiment.change,
        "primary_metric": experiment.primary_metric_id,
        "expected_direction": experiment.expected_direction,
        "expected_effect": experiment.expected_effect,
        "expected_effect_unit": experiment.expected_effect_unit,
        "rationale": experiment.rationale,
        "design": experiment.design,
        "significance_level": experiment.significance_level,
        "control_segment": experiment.control_segment,
        "treatment_segment": experiment.treatment_segment,
        "planned_split": experiment.planned_split,
        "test_start": experiment.test_start,
        "test_end": experiment.test_end,
        "revision": experiment.revision,
        "owner": experiment.owner_id,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_running_hypothesis_edit_in_the_ui_is_refused_then_recorded(client_as, erin, alice, team_a, metric):
    experiment = start(make(team_a, alice, metric, "Three steps"), alice)
    client = client_as(erin)
    url = reverse("experiments:edit", args=[experiment.pk])
    refused = client.post(url, _edit_data(experiment, change="Cut onboarding to 2 steps"))
    assert refused.status_code == 400
    assert "Frozen" in refused.context["form"].errors["change"][0]
    experiment.refresh_from_db()
    assert experiment.change == "Cut onboarding from 4 steps to 3"
    recorded = client.post(
        url, _edit_data(experiment, change="Cut onboarding to 2 steps", deviation_reason="Step 2 was also cut")
    )
    assert recorded.status_code == 302
    page = client.get(experiment.get_absolute_url()).content.decode()
    assert "Step 2 was also cut" in page and "Deviations from the plan" in page
    assert Deviation.objects.get().field == "change"


def test_stale_edit_form_is_a_conflict(client_as, erin, alice, team_a, metric):
    experiment = make(team_a, alice, metric, "Three steps")
    stale = _edit_data(experiment, title="Mine")
    services.experiment_update(experiment=experiment, actor=alice, title="Theirs")
    response = client_as(erin).post(reverse("experiments:edit", args=[experiment.pk]), stale)
    assert response.status_code == 409
    assert Experiment.objects.get().title == "Theirs"


def test_detail_shows_hypothesis_chart_and_result(
    client_as, victor, alice, team_a, metric, django_assert_max_num_queries
):
    experiment = start(make(team_a, alice, metric, "Three steps"), alice)
    for segment, successes in (("control", 900), ("treatment", 1010)):
        services.observation_upsert(
            actor=None,
            metric=metric,
            period_start=D(2025, 3, 3),
            period_end=D(2025, 3, 30),
            segment=segment,
            sample_size=3000,
            successes=successes,
        )
    client = client_as(victor)
    with django_assert_max_num_queries(20):
        response = client.get(experiment.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert "If we" in body and "Two-proportion z-test" in body and f"chart-{metric.pk}-data" in body
    assert "Preview from the observations so far" in body
    assert "+3.67 pp" in body and "nan" not in body.lower().replace("nancy", "")
    assert "Start running" not in body  # viewers see no actions


def test_walk_to_conclusion_in_the_ui(client_as, erin, team_a, metric):
    experiment = make(team_a, erin, metric, "Three steps")
    push_flat(metric)
    client = client_as(erin)
    for status in ("planned", "running"):
        client.post(reverse("experiments:transition", args=[experiment.pk]), {"status": status})
    assert Experiment.objects.get().status == "running"
    missing = client.post(reverse("experiments:conclude", args=[experiment.pk]), {"decision": "ship"})
    assert missing.status_code == 400 and missing.context["form"].errors["learning"]
    done = client.post(
        reverse("experiments:conclude", args=[experiment.pk]), {"decision": "revert", "learning": "No lift."}
    )
    assert done.status_code == 302
    concluded = Experiment.objects.get()
    assert (concluded.status, concluded.decision, concluded.outcome) == ("concluded", "revert", "inconclusive")


def test_bad_transition_shows_reasons_and_keeps_status(client_as, erin, team_a):
    experiment = services.experiment_create(team=team_a, actor=erin, title="Bare", change="x")
    client = client_as(erin)
    client.post(reverse("experiments:transition", args=[experiment.pk]), {"status": "planned"})
    client.post(reverse("experiments:transition", args=[experiment.pk]), {"status": "running"})
    assert Experiment.objects.get().status == "planned"


def test_csv_import_previews_errors_and_imports_all_or_nothing(client_as, erin, metric):
    client = client_as(erin)
    url = reverse("experiments:observation_import", args=[metric.pk])
    bad = (
        "period_start,period_end,segment,sample_size,successes\n"
        "2025-03-03,2025-03-09,control,100,20\n"
        "2025-03-10,oops,control,100,200\n"
    )
    preview = client.post(url, {"file": SimpleUploadedFile("obs.csv", bad.encode())})
    assert preview.status_code == 400
    rows = preview.context["rows"]
    assert rows[0]["errors"] == {} and "period_end" in rows[1]["errors"]
    assert not Observation.objects.exists()
    good = bad.replace("oops", "2025-03-16").replace("100,200", "100,25")
    preview = client.post(url, {"file": SimpleUploadedFile("obs.csv", good.encode())})
    assert preview.status_code == 200 and preview.context["valid"] == 2
    assert not Observation.objects.exists()  # a preview stores nothing
    done = client.post(url, {"text": good, "confirm": "1"})
    assert done.status_code == 302
    assert Observation.objects.count() == 2
    client.post(url, {"text": good, "confirm": "1"})
    assert Observation.objects.count() == 2  # importing again replaces


def test_csv_with_unknown_columns_says_which(client_as, erin, metric):
    text = "period_start,period_end,colour\n2025-03-03,2025-03-09,red\n"
    response = client_as(erin).post(
        reverse("experiments:observation_import", args=[metric.pk]),
        {"file": SimpleUploadedFile("x.csv", text.encode())},
    )
    assert response.status_code == 400 and "colour" in response.context["problems"][0]


def test_metric_pages(client_as, erin, team_a, metric):
    client = client_as(erin)
    assert "Activation rate" in client.get(reverse("experiments:metric_list")).content.decode()
    duplicate = client.post(
        reverse("experiments:metric_list"), {"name": "x", "key": "activation", "kind": "mean", "better": "higher"}
    )
    assert duplicate.status_code == 400 and duplicate.context["form"].errors["key"]
    added = client.post(
        reverse("experiments:observation_add", args=[metric.pk]),
        {"period_start": "2025-03-03", "period_end": "2025-03-09", "sample_size": "50", "successes": "60"},
    )
    assert added.status_code == 400 and added.context["observation_form"].errors["successes"]
    assert client.get(reverse("experiments:metric_detail", args=[metric.pk])).status_code == 200


def test_annotator_lists_experiments_on_touchpoints_in_order(alice, team_a, metric, django_assert_num_queries):
    journey_map, stage, touchpoint, pain = journey(team_a)
    second_tp = Touchpoint.objects.create(stage=stage, name="Returns page", position=1)
    first = start(make(team_a, alice, metric, "First", touchpoint=touchpoint), alice)
    later = start(make(team_a, alice, metric, "Later", pain_point=pain), alice)
    make(team_a, alice, metric, "Just an idea", touchpoint=touchpoint)
    stages = list(Stage.objects.filter(journey_map=journey_map))
    touchpoints = list(Touchpoint.objects.filter(stage__journey_map=journey_map))
    with django_assert_num_queries(1):
        annotate_map_with_experiments(journey_map, stages, touchpoints)
    by_id = {t.pk: t for t in touchpoints}
    assert [e.title for e in by_id[touchpoint.pk].experiments] == ["First", "Later"]
    assert by_id[second_tp.pk].experiments == []
    assert [e.pk for e in stages[0].experiments] == [first.pk, later.pk]
    assert any(a.fn is annotate_map_with_experiments for a in registry.annotators)


def test_health_check_reports_severe_pain_without_experiment(alice, team_a, metric, django_assert_num_queries):
    maps = []
    for _ in range(3):
        journey_map, _, _touchpoint, pain = journey(team_a)
        maps.append((journey_map, pain))
    make(team_a, alice, metric, "Fix it", pain_point=maps[0][1])
    with django_assert_num_queries(1):
        issues = severe_pain_points_without_experiment([m for m, _ in maps])
    assert maps[0][0].pk not in issues
    assert issues[maps[1][0].pk][0].code == "severe_pain_without_experiment"
    assert issues[maps[1][0].pk][0].count == 1
    assert severe_pain_points_without_experiment in registry.health_checks


def test_conclude_page_without_data_shows_the_reason_and_refuses(client_as, erin, team_a, metric):
    experiment = start(make(team_a, erin, metric, "No data yet"), erin)
    client = client_as(erin)
    detail = client.get(experiment.get_absolute_url()).content.decode()
    assert "Cannot conclude without data:" in detail
    assert reverse("experiments:conclude", args=[experiment.pk]) not in detail
    page = client.get(reverse("experiments:conclude", args=[experiment.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="conclude-no-data"' in html
    assert "No observations of" in html and "disabled" in html
    refused = client.post(
        reverse("experiments:conclude", args=[experiment.pk]), {"decision": "ship", "learning": "Ship it."}
    )
    assert refused.status_code == 400
    assert "No observations of" in " ".join(refused.context["form"].non_field_errors())
    stored = Experiment.objects.get(pk=experiment.pk)
    assert (stored.status, stored.decision) == ("running", "")
