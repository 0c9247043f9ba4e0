"""The experiment log's REST API: bulk observations, the frozen pre-registration, conclude."""

import datetime as dt

import pytest

from experiments import services
from experiments.models import Deviation, Experiment, Observation

from .factories import journey


@pytest.fixture
def metric(team_a, alice):
    return services.metric_create(team=team_a, actor=alice, name="Activation", key="activation", kind="proportion")


@pytest.fixture
def running(team_a, alice, metric):
    experiment = services.experiment_create(
        team=team_a,
        actor=alice,
        title="Three steps",
        change="Cut onboarding from 4 steps to 3",
        primary_metric=metric,
        expected_effect=8,
        test_start=dt.date(2025, 3, 3),
        test_end=dt.date(2025, 3, 30),
    )
    services.experiment_transition(experiment=experiment, actor=alice, to="planned")
    return services.experiment_transition(experiment=experiment, actor=alice, to="running")


def bulk_body(metric, treatment_successes=1010):
    rows = []
    for week in range(4):
        start = dt.date(2025, 3, 3) + dt.timedelta(days=7 * week)
        for segment, successes in (("control", 225), ("treatment", treatment_successes // 4)):
            rows.append(
                {
                    "metric": metric.pk,
                    "period_start": start.isoformat(),
                    "period_end": (start + dt.timedelta(days=6)).isoformat(),
                    "segment": segment,
                    "sample_size": 750,
                    "successes": successes,
                }
            )
    return {"observations": rows}


def test_bulk_push_twice_duplicates_nothing(key_client, metric):
    client = key_client()
    first = client.post("/api/v1/observations/bulk/", bulk_body(metric), format="json")
    assert first.status_code == 200, first.json()
    assert (first.json()["created"], first.json()["updated"]) == (8, 0)
    second = client.post("/api/v1/observations/bulk/", bulk_body(metric, treatment_successes=1100), format="json")
    assert (second.json()["created"], second.json()["updated"]) == (0, 8)
    assert Observation.objects.count() == 8
    treated = Observation.objects.filter(segment="treatment").first()
    assert treated.successes == 275 and treated.source == "api"


def test_bulk_error_names_row_and_field_and_stores_nothing(key_client, metric):
    body = bulk_body(metric)
    body["observations"][3]["successes"] = 9999
    response = key_client().post("/api/v1/observations/bulk/", body, format="json")
    assert response.status_code == 400
    rows = response.json()["errors"]["observations"]
    assert len(rows) == len(body["observations"])
    assert rows[3] == {"successes": ["Successes cannot exceed the sample size."]}
    assert all(row == {} for i, row in enumerate(rows) if i != 3)
    assert not Observation.objects.exists()


@pytest.mark.parametrize(
    ("body", "row"),
    [
        # Caught by the serializer (the field's type) and by the service (the metric's rules): one shape.
        (lambda b: b["observations"][1].update(period_start="not a date"), 1),
        (lambda b: b["observations"][2].update(sample_size=-4), 2),
    ],
)
def test_bulk_errors_have_one_shape_whoever_finds_them(key_client, metric, body, row):
    payload = bulk_body(metric)
    body(payload)
    response = key_client().post("/api/v1/observations/bulk/", payload, format="json")
    assert response.status_code == 400
    rows = response.json()["errors"]["observations"]
    assert isinstance(rows, list) and len(rows) == len(payload["observations"])
    assert all(isinstance(r, dict) for r in rows) and list(rows[row]) and not any(rows[:row])


def test_bulk_errors_about_the_whole_request_are_non_field_errors(key_client, metric, team_a, alice, team_b, oscar):
    client = key_client()
    for payload in ({"observations": []}, {"observations": {"metric": metric.pk}}, {}, [1, 2]):
        response = client.post("/api/v1/observations/bulk/", payload, format="json")
        assert response.status_code == 400
        assert list(response.json()["errors"]) == ["non_field_errors"], payload
    assert not Observation.objects.exists()


def test_bulk_refuses_other_teams_metric(api_as, oscar, metric):
    response = api_as(oscar).post("/api/v1/observations/bulk/", bulk_body(metric), format="json")
    assert response.status_code == 400
    assert "metric" in str(response.json()["errors"])
    assert not Observation.objects.exists()


def test_single_post_is_idempotent_per_period_and_segment(api_as, erin, metric):
    body = {
        "metric": metric.pk,
        "period_start": "2025-03-03",
        "period_end": "2025-03-09",
        "sample_size": 10,
        "successes": 2,
    }
    assert api_as(erin).post("/api/v1/observations/", body, format="json").status_code == 201
    again = api_as(erin).post("/api/v1/observations/", {**body, "successes": 3}, format="json")
    assert again.status_code == 200 and again.json()["value"] == pytest.approx(0.3)
    assert Observation.objects.count() == 1


def test_running_hypothesis_edit_via_api_is_refused_naming_the_field(api_as, erin, running):
    response = api_as(erin).patch(f"/api/v1/experiments/{running.pk}/", {"change": "Something else"}, format="json")
    assert response.status_code == 400
    assert "change" in response.json()["errors"]
    running.refresh_from_db()
    assert running.change == "Cut onboarding from 4 steps to 3"


def test_running_edit_with_reason_records_visible_deviation(api_as, erin, running):
    response = api_as(erin).patch(
        f"/api/v1/experiments/{running.pk}/",
        {"expected_effect": 5, "deviation_reason": "Sizing error in the plan"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["expected_effect"] == 5
    assert body["deviations"][0]["field"] == "expected_effect"
    assert body["deviations"][0]["user"] == "erin"
    assert Deviation.objects.get().reason == "Sizing error in the plan"


def test_stale_if_match_is_a_409(api_as, erin, running):
    response = api_as(erin).patch(
        f"/api/v1/experiments/{running.pk}/", {"title": "x"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    current = api_as(erin).patch(
        f"/api/v1/experiments/{running.pk}/", {"title": "y"}, format="json", HTTP_IF_MATCH=f'"{running.revision}"'
    )
    assert current.status_code == 200 and current.json()["title"] == "y"


def test_experiment_etag_round_trips_as_if_match_and_junk_if_match_is_a_400(api_as, erin, running):
    client = api_as(erin)
    read = client.get(f"/api/v1/experiments/{running.pk}/")
    assert read["ETag"] == f'"{running.revision}"'
    written = client.patch(
        f"/api/v1/experiments/{running.pk}/", {"title": "y"}, format="json", HTTP_IF_MATCH=read["ETag"]
    )
    assert written.status_code == 200 and written["ETag"] == f'"{running.revision + 1}"'
    stale = client.patch(
        f"/api/v1/experiments/{running.pk}/", {"title": "z"}, format="json", HTTP_IF_MATCH=read["ETag"]
    )
    assert stale.status_code == 409
    junk = client.patch(f"/api/v1/experiments/{running.pk}/", {"title": "z"}, format="json", HTTP_IF_MATCH="12-3")
    assert junk.status_code == 400 and list(junk.json()["errors"]) == ["If-Match"]
    running.refresh_from_db()
    assert running.title == "y"


def test_the_docs_agree_on_the_if_match_format():
    from pathlib import Path

    docs = Path(__file__).resolve().parents[2] / "docs"
    api, experiments = (docs / "api.md").read_text(), (docs / "experiments.md").read_text()
    assert 'If-Match: "<revision>"' in experiments and 'If-Match: "<revision>"' in api
    assert "If-Match: <revision>" not in api + experiments


def test_create_and_filter_experiments(api_as, erin, team_a, metric):
    _journey_map, stage, touchpoint, _ = journey(team_a)
    body = {
        "team": team_a.pk,
        "title": "Delivery promise",
        "change": "Show the delivery date on the product page",
        "primary_metric": metric.pk,
        "expected_effect": 5,
        "touchpoint": touchpoint.pk,
        "tags": ["checkout"],
    }
    created = api_as(erin).post("/api/v1/experiments/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["stage"] == stage.pk and created.json()["tags"] == ["checkout"]
    services.experiment_create(team=team_a, actor=erin, title="Other", change="x")
    listed = api_as(erin).get(f"/api/v1/experiments/?stage={stage.pk}&tag=checkout").json()
    assert [row["title"] for row in listed["results"]] == ["Delivery promise"]
    by_metric = api_as(erin).get(f"/api/v1/experiments/?metric={metric.pk}").json()
    assert by_metric["count"] == 1


def test_conclude_action_uses_separate_input_and_output(api_as, erin, running, metric, key_client):
    key_client().post("/api/v1/observations/bulk/", bulk_body(metric), format="json")
    bad = api_as(erin).post(f"/api/v1/experiments/{running.pk}/conclude/", {"decision": "maybe"}, format="json")
    assert bad.status_code == 400 and {"decision", "learning"} <= set(bad.json()["errors"])
    response = api_as(erin).post(
        f"/api/v1/experiments/{running.pk}/conclude/",
        {"decision": "ship", "learning": "Fewer steps, more activations."},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "concluded" and body["outcome"] == "supported"
    assert body["result"]["metrics"][0]["comparison"]["test"] == "two_proportion_z"
    assert Experiment.objects.get().decision == "ship"
    again = api_as(erin).post(
        f"/api/v1/experiments/{running.pk}/conclude/", {"decision": "ship", "learning": "x"}, format="json"
    )
    assert again.status_code == 400 and "status" in again.json()["errors"]


def test_viewer_cannot_conclude(api_as, victor, running):
    response = api_as(victor).post(
        f"/api/v1/experiments/{running.pk}/conclude/", {"decision": "ship", "learning": "x"}, format="json"
    )
    assert response.status_code == 403
    assert Experiment.objects.get().status == "running"


def test_analysis_preview_is_json_safe_with_zero_variance(api_as, victor, running, metric):
    for segment in ("control", "treatment"):
        services.observation_upsert(
            actor=None,
            metric=metric,
            period_start=dt.date(2025, 3, 3),
            period_end=dt.date(2025, 3, 9),
            segment=segment,
            sample_size=50,
            successes=0,
        )
    response = api_as(victor).get(f"/api/v1/experiments/{running.pk}/analysis/")
    assert response.status_code == 200
    comparison = response.json()["metrics"][0]["comparison"]
    assert comparison["computed"] is False and "No variance" in comparison["reason"]
    assert "NaN" not in response.content.decode()


def test_list_endpoints_query_count_does_not_grow(api_as, erin, team_a, metric, django_assert_max_num_queries):
    for i in range(12):
        experiment = services.experiment_create(
            team=team_a, actor=erin, title=f"E{i}", change="x", primary_metric=metric, tags=[f"t{i}", "all"]
        )
        Deviation.objects.create(experiment=experiment, field="title", reason="r", user=erin)
    client = api_as(erin)
    with django_assert_max_num_queries(12):
        assert client.get("/api/v1/experiments/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/metrics/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/observations/").status_code == 200


def test_conclude_without_observations_is_a_400_naming_the_reason(api_as, erin, running):
    client = api_as(erin)
    preview = client.get(f"/api/v1/experiments/{running.pk}/analysis/").json()
    assert preview["no_data"] == "No observations of Activation in the control segment."
    response = client.post(
        f"/api/v1/experiments/{running.pk}/conclude/", {"decision": "ship", "learning": "Ship it."}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["errors"]["observations"][0].startswith("No observations of Activation in the control segment.")
    assert body["detail"].startswith("observations: No observations")
    stored = Experiment.objects.get()
    assert (stored.status, stored.decision, stored.result) == ("running", "", None)


def test_patching_successes_above_the_sample_size_of_an_nps_observation_is_a_400(api_as, erin, team_a, alice):
    nps = services.metric_create(team=team_a, actor=alice, name="Checkout NPS", key="checkout-nps", kind="nps")
    observation, _ = services.observation_upsert(
        actor=None,
        metric=nps,
        period_start=dt.date(2025, 3, 3),
        period_end=dt.date(2025, 3, 9),
        sample_size=10,
        promoters=6,
        detractors=2,
    )
    response = api_as(erin).patch(f"/api/v1/observations/{observation.pk}/", {"successes": 11}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["successes"]
    observation.refresh_from_db()
    assert observation.successes is None and observation.sample_size == 10
