"""A proportion's expected effect, change and interval are in one unit end to end: percentage points.

The integrator's path: a metric with unit "%" (observations pushed as counts, stored as fractions),
an experiment whose expected effect is 2 "absolute", and a measured change of +6.5 points. Both
designs and both effect units, through the API, the stored result, the page and the data migration.
"""

import datetime as dt
import importlib

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from experiments import services
from experiments.models import Experiment, Observation

D = dt.date
BEFORE = (D(2025, 2, 3), D(2025, 2, 23))
AFTER = (D(2025, 3, 3), D(2025, 3, 23))
# 30.0 % → 36.5 %: +6.5 points, 95 % CI about 5.20 to 7.80 points.
BASE = (10_000, 3_000)
TREATED = (10_000, 3_650)


@pytest.fixture
def rate(team_a, alice):
    return services.metric_create(
        team=team_a, actor=alice, name="Activation rate", key="activation", kind="proportion", unit="%"
    )


def _rows(metric, design):
    if design == "ab":
        sides = [("control", AFTER, BASE), ("treatment", AFTER, TREATED)]
    else:
        sides = [("", BEFORE, BASE), ("", AFTER, TREATED)]
    return [
        {
            "metric": metric.pk,
            "period_start": start.isoformat(),
            "period_end": end.isoformat(),
            "segment": segment,
            "sample_size": n,
            "successes": x,
        }
        for segment, (start, end), (n, x) in sides
    ]


def _experiment_body(metric, design, effect, unit):
    body = {
        "team": metric.team_id,
        "title": f"{design} {effect} {unit}",
        "change": "Cut onboarding from 4 steps to 3",
        "primary_metric": metric.pk,
        "expected_direction": "increase",
        "expected_effect": effect,
        "expected_effect_unit": unit,
        "design": design,
        "test_start": AFTER[0].isoformat(),
        "test_end": AFTER[1].isoformat(),
    }
    if design == "before_after":
        body.update(baseline_start=BEFORE[0].isoformat(), baseline_end=BEFORE[1].isoformat())
    return body


def _run_and_conclude(client, metric, design, effect, unit):
    pushed = client.post("/api/v1/observations/bulk/", {"observations": _rows(metric, design)}, format="json")
    assert pushed.status_code == 200, pushed.json()
    created = client.post("/api/v1/experiments/", _experiment_body(metric, design, effect, unit), format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["expected_effect"] == effect  # stored as given: points for an absolute effect
    for status in ("planned", "running"):
        moved = client.post(f"/api/v1/experiments/{pk}/transition/", {"status": status}, format="json")
        assert moved.status_code == 200, moved.json()
    preview = client.get(f"/api/v1/experiments/{pk}/analysis/").json()
    concluded = client.post(
        f"/api/v1/experiments/{pk}/conclude/", {"decision": "ship", "learning": "It worked."}, format="json"
    )
    assert concluded.status_code == 200, concluded.json()
    return pk, preview, concluded.json()


@pytest.mark.parametrize("design", ["ab", "before_after"])
@pytest.mark.parametrize(
    ("effect", "unit", "expected_change", "outcome"),
    [
        (2, "absolute", 2.0, "supported"),  # 2 points: the change of 6.5 points is three times that
        (10, "relative", 3.0, "supported"),  # 10 % of a 30 % rate: 3 points
        (10, "absolute", 10.0, "refuted"),  # 10 points: the interval (5.2 to 7.8) rules it out
        (30, "relative", 9.0, "refuted"),  # 30 % of 30 %: 9 points, also ruled out
    ],
)
def test_proportion_effect_change_and_interval_share_percentage_points(
    api_as, alice, rate, design, effect, unit, expected_change, outcome
):
    pk, preview, body = _run_and_conclude(api_as(alice), rate, design, effect, unit)
    entry = body["result"]["metrics"][0]
    c = entry["comparison"]
    assert entry["units"]["level"] == "percent" and entry["units"]["change"] == "percentage points"
    assert entry["units"]["relative_change"] == "percent of the baseline"
    assert c["baseline"] == pytest.approx(30.0) and c["treatment"] == pytest.approx(36.5)
    assert c["absolute_change"] == pytest.approx(6.5)
    assert c["relative_change"] == pytest.approx(100 * 6.5 / 30)
    se = (0.30 * 0.70 / 10_000 + 0.365 * 0.635 / 10_000) ** 0.5
    assert c["ci_low"] == pytest.approx(6.5 - 100 * 1.959963984540054 * se, abs=1e-6)
    assert c["ci_high"] == pytest.approx(6.5 + 100 * 1.959963984540054 * se, abs=1e-6)
    assert 5.1 < c["ci_low"] < 5.3 and 7.7 < c["ci_high"] < 7.9
    assert c["expected_change"] == pytest.approx(expected_change)
    assert c["reaches_expected"] is (outcome == "supported")
    assert preview["outcome"] == outcome and body["outcome"] == outcome
    stored = Experiment.objects.get(pk=pk)
    assert stored.outcome == outcome and stored.expected_effect == effect
    assert stored.result["metrics"][0]["comparison"]["absolute_change"] == pytest.approx(6.5)
    # The observations themselves stay the fraction of successes.
    assert sorted(Observation.objects.values_list("value", flat=True)) == [pytest.approx(0.3), pytest.approx(0.365)]


def test_before_after_its_is_in_points_per_day(api_as, alice, rate):
    rows = []
    for week in range(16):
        start = D(2025, 1, 6) + dt.timedelta(days=7 * week)
        successes = 300 + (50 if week >= 8 else 0)
        rows.append(
            {
                "metric": rate.pk,
                "period_start": start.isoformat(),
                "period_end": (start + dt.timedelta(days=6)).isoformat(),
                "sample_size": 1000,
                "successes": successes + week % 3,
            }
        )
    client = api_as(alice)
    assert client.post("/api/v1/observations/bulk/", {"observations": rows}, format="json").status_code == 200
    body = _experiment_body(rate, "before_after", 2, "absolute")
    body.update(baseline_start="2025-01-06", baseline_end="2025-03-02", test_start="2025-03-03", test_end="2025-04-27")
    pk = client.post("/api/v1/experiments/", body, format="json").json()["id"]
    entry = client.get(f"/api/v1/experiments/{pk}/analysis/").json()["metrics"][0]
    its = entry["its"]
    assert its["time_unit"] == "day" and entry["units"]["its_slope"] == "percentage points per day"
    assert its["level_change"] == pytest.approx(5.0, abs=0.5)  # a jump of 5 points, not 0.05


def test_absolute_effect_over_100_points_on_a_proportion_is_refused(api_as, alice, rate):
    response = api_as(alice).post("/api/v1/experiments/", _experiment_body(rate, "ab", 150, "absolute"), format="json")
    assert response.status_code == 400
    assert "percentage points" in response.json()["errors"]["expected_effect"][0]
    assert not Experiment.objects.exists()


def test_page_shows_the_effect_change_and_interval_in_points(client_as, api_as, alice, rate):
    pk, _, _ = _run_and_conclude(api_as(alice), rate, "before_after", 2, "absolute")
    html = client_as(alice).get(reverse("experiments:detail", args=[pk])).content.decode()
    assert "by <strong>2 pp</strong>" in html
    assert "+6.50 pp" in html and "30.00 %" in html and "36.50 %" in html
    assert "+5.20 pp to +7.80 pp" in html
    assert "Yes (+2.00 pp)" in html


def test_migration_puts_stored_fractions_in_points(team_a, alice, rate):
    migration = importlib.import_module("experiments.migrations.0003_proportion_effects_in_points")
    fraction = services.experiment_create(
        team=team_a,
        actor=alice,
        title="Old fraction",
        change="x",
        primary_metric=rate,
        expected_effect=0.02,
        expected_effect_unit="absolute",
    )
    points = services.experiment_create(
        team=team_a,
        actor=alice,
        title="Meant points",
        change="x",
        primary_metric=rate,
        expected_effect=2,
        expected_effect_unit="absolute",
    )
    relative = services.experiment_create(
        team=team_a,
        actor=alice,
        title="Relative",
        change="x",
        primary_metric=rate,
        expected_effect=0.5,
    )
    old_result = {
        "metrics": [
            {
                "role": "primary",
                "metric": {"id": rate.pk, "kind": "proportion", "unit": "%"},
                "comparison": {
                    "baseline": 0.3,
                    "treatment": 0.365,
                    "absolute_change": 0.065,
                    "ci_low": 0.0523,
                    "ci_high": 0.0783,
                    "expected_change": 0.02,
                    "relative_change": 21.7,
                    "p_value": 0.001,
                },
                "its": None,
            }
        ]
    }
    Experiment.objects.filter(pk=fraction.pk).update(result=old_result)
    migration.to_points(django_apps, None)
    migration.to_points(django_apps, None)  # running it again changes nothing
    fraction.refresh_from_db(), points.refresh_from_db(), relative.refresh_from_db()
    assert (fraction.expected_effect, points.expected_effect, relative.expected_effect) == (
        pytest.approx(2.0),
        2.0,
        0.5,
    )
    c = fraction.result["metrics"][0]["comparison"]
    assert (c["baseline"], c["absolute_change"], c["ci_low"], c["ci_high"], c["expected_change"]) == (
        pytest.approx(30.0),
        pytest.approx(6.5),
        pytest.approx(5.23),
        pytest.approx(7.83),
        pytest.approx(2.0),
    )
    assert c["relative_change"] == 21.7 and c["p_value"] == 0.001
    assert fraction.result["metrics"][0]["units"]["change"] == "percentage points"
