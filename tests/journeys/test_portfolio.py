"""The portfolio: maps grouped by product with health and key figures, checked against plain Python."""

import math

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Profile, ProfileStage
from feedback import services as feedback_services
from feedback.models import Response
from journeys import services
from journeys.models import JourneyMap
from journeys.portfolio import portfolio

pytestmark = pytest.mark.django_db


def wilson(k, n, z=1.959963984540054):
    """The Wilson score interval, written out (not the library the app uses)."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return 100 * (centre - half), 100 * (centre + half)


def nps_reference(scores):
    n = len(scores)
    p = sum(s >= 9 for s in scores) / n
    d = sum(s <= 6 for s in scores) / n
    return 100 * (p - d), 100 * 1.96 * math.sqrt((p + d - (p - d) ** 2) / n), n


@pytest.fixture
def maps(team_a, team_b, alice, oscar):
    def make(team, actor, title, product="", status=None):
        m = services.map_create(team=team, actor=actor, title=title, product=product)
        if status:
            services.map_update(journey_map=m, actor=actor, revision=None, status=status)
        m.refresh_from_db()
        return m

    return {
        "checkout": make(team_a, alice, "Checkout", "Web shop"),
        "returns": make(team_a, alice, "Returns", "Web shop"),
        "loan": make(team_a, alice, "Loan application", "Loans"),
        "loose": make(team_a, alice, "Loose ends"),
        "old": make(team_a, alice, "Old shop", "Web shop", status="archived"),
        "other": make(team_b, oscar, "Team B map", "Web shop"),
    }


def put_customers(journey_map, by_stage_position: dict[int, int]):
    stages = {s.position: s for s in journey_map.stages.all()}
    for position, count in by_stage_position.items():
        for _ in range(count):
            profile = Profile.objects.create(team_id=journey_map.team_id)
            ProfileStage.objects.create(
                team_id=journey_map.team_id,
                profile=profile,
                journey_map=journey_map,
                stage=stages[position],
                entered_at=timezone.now(),
            )


def answer(survey, stage, scores, metric):
    for i, score in enumerate(scores):
        Response.objects.create(
            team_id=survey.team_id,
            survey=survey,
            stage=stage,
            submission_id=f"{metric}-{stage.pk}-{i}",
            score=score,
            metric=metric,
        )


def test_groups_by_product_named_first_archived_left_out(maps, alice):
    groups = portfolio(user=alice)
    assert [(g.product, [m.title for m in g.maps]) for g in groups] == [
        ("Loans", ["Loan application"]),
        ("Web shop", ["Checkout", "Returns"]),
        ("", ["Loose ends"]),
    ]
    assert [m.title for g in portfolio(user=alice, status="archived") for m in g.maps] == ["Old shop"]
    assert [m.title for g in portfolio(user=alice, product="Loans") for m in g.maps] == ["Loan application"]


def test_figures_match_a_plain_python_computation(maps, alice, team_a):
    checkout = maps["checkout"]
    # Default stages: Awareness 0, Consideration 1, Decision 2 (top/middle), Purchase 3, Retention 4,
    # Advocacy 5 (bottom of the funnel).
    put_customers(checkout, {0: 5, 2: 8, 3: 4, 4: 2, 5: 1})
    decision = checkout.stages.get(position=2)
    survey = feedback_services.survey_create(team=team_a, actor=alice, name="NPS", kind="nps")
    nps_scores = [10, 9, 9, 8, 7, 6, 3, 10, 0, 9, 5]
    answer(survey, decision, nps_scores, "nps")
    answer(survey, decision, [5, 4, 2, 4], "csat")
    old = Response.objects.create(
        team=team_a,
        survey=survey,
        stage=decision,
        submission_id="old",
        score=0,
        metric="nps",
        created_at=timezone.now() - timezone.timedelta(days=91),
    )
    assert old.pk
    m = next(m for g in portfolio(user=alice) for m in g.maps if m.pk == checkout.pk)
    figures = m.figures

    assert figures["customers_in_journey"].value == 20 and figures["customers_in_journey"].n == 20
    conversion = figures["conversion"]
    low, high = wilson(7, 20)
    assert conversion.value == pytest.approx(35.0) and conversion.n == 20 and conversion.unit == "%"
    assert conversion.low == pytest.approx(low, abs=1e-9) and conversion.high == pytest.approx(high, abs=1e-9)

    value, margin, n = nps_reference(nps_scores)
    nps = figures["nps"]
    assert nps.n == n == 11 and nps.value == pytest.approx(value)
    assert nps.low == pytest.approx(max(-100, value - margin)) and nps.high == pytest.approx(min(100, value + margin))
    assert nps.thin
    csat = figures["csat"]
    assert csat.n == 4 and csat.value == pytest.approx(75.0)
    assert figures["open_pain_points"].value == 0

    empty = next(m for g in portfolio(user=alice) for m in g.maps if m.pk == maps["loan"].pk).figures
    assert empty["conversion"].value is None and empty["conversion"].reason
    assert empty["nps"].value is None and empty["nps"].n == 0
    assert empty["customers_in_journey"].value == 0


def test_open_pain_points_and_health(maps, alice):
    loan = maps["loan"]
    stage = loan.stages.get(position=2)
    tp = services.touchpoint_create(stage=stage, actor=alice, revision=None, name="Form")
    services.pain_point_create(touchpoint=tp, actor=alice, revision=None, title="Unclear rate", severity=5)
    fixed = services.pain_point_create(touchpoint=tp, actor=alice, revision=None, title="Typo")
    services.pain_point_update(pain_point=fixed, actor=alice, revision=None, status="fixed")
    m = next(m for g in portfolio(user=alice) for m in g.maps if m.pk == loan.pk)
    assert m.figures["open_pain_points"].value == 1
    assert 0 <= m.health.score <= 100 and m.health.band in ("healthy", "attention", "at_risk")


def test_another_team_never_appears(maps, alice, oscar, team_a):
    assert "Team B map" not in [m.title for g in portfolio(user=alice) for m in g.maps]
    assert [m.title for g in portfolio(user=oscar) for m in g.maps] == ["Team B map"]
    assert portfolio(user=oscar, team=team_a.pk) == []


def test_page_shows_groups_and_figures(client_as, alice, maps):
    put_customers(maps["checkout"], {5: 3, 0: 1})
    response = client_as(alice).get(reverse("journeys:portfolio"))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index("Loans") < body.index("Web shop") < body.index("No product")
    assert "Team B map" not in body and "Old shop" not in body
    assert "75 %" in body and "n = 4" in body


def test_page_queries_do_not_grow_with_the_maps(client_as, alice, team_a, maps, django_assert_max_num_queries):
    client = client_as(alice)
    with django_assert_max_num_queries(30) as small:
        client.get(reverse("journeys:portfolio"))
    for i in range(12):
        services.map_create(team=team_a, actor=alice, title=f"More {i}", product=f"P{i % 3}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("journeys:portfolio"))
    assert sum(len(g.maps) for g in response.context["groups"]) == 16


def test_api_portfolio(api_as, alice, oscar, maps, team_a):
    body = api_as(alice).get("/api/v1/portfolio/").json()
    assert [g["product"] for g in body] == ["Loans", "Web shop", ""]
    checkout = body[1]["maps"][0]
    assert checkout["title"] == "Checkout" and checkout["product"] == "Web shop"
    assert set(checkout["figures"]) == {"open_pain_points", "customers_in_journey", "conversion", "nps", "csat"}
    assert checkout["figures"]["conversion"] == {
        "value": None,
        "n": 0,
        "low": None,
        "high": None,
        "unit": "%",
        "reason": "No customers in the journey yet",
    }
    assert 0 <= checkout["health"]["score"] <= 100
    assert api_as(oscar).get("/api/v1/portfolio/", {"team": team_a.pk}).json() == []
    assert [g["product"] for g in api_as(alice).get("/api/v1/portfolio/", {"status": "archived"}).json()] == [
        "Web shop"
    ]
    for params, field in (({"status": "gone"}, "status"), ({"team": "x"}, "team"), ({"ordering": "x"}, "ordering")):
        response = api_as(alice).get("/api/v1/portfolio/", params)
        assert response.status_code == 400 and field in response.json()["errors"]


def test_product_in_form_api_and_versions(client_as, api_as, alice, maps):
    m = maps["loose"]
    response = api_as(alice).patch(f"/api/v1/maps/{m.pk}/", {"product": "Cards"}, format="json")
    assert response.status_code == 200 and response.json()["product"] == "Cards"
    m.refresh_from_db()
    assert m.product == "Cards"
    created = api_as(alice).post(
        "/api/v1/maps/", {"team": m.team_id, "title": "Card renewal", "product": "Cards"}, format="json"
    )
    assert created.status_code == 201 and JourneyMap.objects.get(pk=created.json()["id"]).product == "Cards"
    client = client_as(alice)
    page = client.get(reverse("journeys:map_edit", args=[m.pk]))
    assert 'name="product"' in page.content.decode()
    version = services.map_publish(journey_map=m, actor=alice, note="v1")
    assert version.snapshot["map"]["product"] == "Cards"
    services.map_update(journey_map=m, actor=alice, revision=None, product="Debit cards")
    services.map_restore(journey_map=m, actor=alice, number=version.number)
    m.refresh_from_db()
    assert m.product == "Cards"
