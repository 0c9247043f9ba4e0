"""Funnel and cohort pages and API: access, the same query on both, drop-offs saved as cohorts, CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from analytics import cohorts
from analytics.models import Cohort, CohortMember
from customers import services
from customers.models import Identity, ProfileStage, StageTransition
from journeys.extensions import map_links
from journeys.models import JourneyMap, Stage

from .test_funnels import _ingest, track

T0 = datetime(2026, 10, 12, 8, 0, tzinfo=UTC)
PERIOD = {"start": "2026-10-01", "end": "2026-10-31"}


@pytest.fixture
def shop(team_a, alice):
    source = services.source_create(team=team_a, actor=alice, name="Shop")[0]
    _ingest(
        source,
        [
            track("Viewed", T0, "p1"),
            track("Bought", T0 + timedelta(hours=1), "p1"),
            track("Viewed", T0, "p2"),
            track("Viewed", T0, "p3"),
            {"type": "identify", "anonymousId": "p2", "traits": {"persona": "careful"}, "messageId": "i2"},
        ],
    )
    journey_map = JourneyMap.objects.create(team=team_a, title="Shop")
    stages = [Stage.objects.create(journey_map=journey_map, name=n, position=i) for i, n in enumerate(["In", "Out"])]
    profile = {anon: Identity.objects.get(team=team_a, value=anon).profile for anon in ("p1", "p2", "p3")}
    for anon in ("p1", "p2"):
        StageTransition.objects.create(
            team=team_a, profile=profile[anon], journey_map=journey_map, to_stage=stages[0], entered_at=T0
        )
    StageTransition.objects.create(
        team=team_a, profile=profile["p1"], journey_map=journey_map, to_stage=stages[1], entered_at=T0
    )
    return {"map": journey_map, "stages": stages, "profile": profile}


EVENT_QUERY = {"step": "event:Viewed,event:Bought", **PERIOD}


def test_api_funnel_gives_figures_with_interval_and_n(api_as, alice, shop):
    response = api_as(alice).get("/api/v1/funnels/", EVENT_QUERY)
    assert response.status_code == 200
    body = response.json()
    assert body["query"]["steps"] == ["event:Viewed", "event:Bought"]
    assert [(s["entered"], s["converted"]) for s in body["steps"]] == [(3, 3), (3, 1)]
    second = body["steps"][1]
    assert second["from_previous"]["n"] == 3 and second["from_previous"]["rate"] == pytest.approx(1 / 3)
    assert second["from_previous"]["low"] == pytest.approx(0.0614919, abs=1e-6)
    assert second["from_previous"]["high"] == pytest.approx(0.7923404, abs=1e-6)
    assert second["time_to_convert"] == {**second["time_to_convert"], "unit": "seconds", "median": 3600.0, "n": 1}


def test_api_funnel_csv_is_the_step_table(api_as, alice, shop):
    response = api_as(alice).get("/api/v1/funnels/", {**EVENT_QUERY, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:7] == ["step", "label", "optional", "window_seconds", "entered", "converted", "dropped"]
    assert rows[2][:7] == ["2", "Bought", "False", str(30 * 86400), "3", "1", "2"]
    assert float(rows[2][7]) == pytest.approx(1 / 3)


def test_api_map_stage_funnel_and_other_team_map_is_404(api_as, alice, oscar, shop):
    response = api_as(alice).get("/api/v1/funnels/", {"map": shop["map"].pk, **PERIOD})
    assert response.status_code == 200
    assert [(s["label"], s["entered"], s["converted"]) for s in response.json()["steps"]] == [
        ("In", 2, 2),
        ("Out", 2, 1),
    ]
    assert api_as(oscar).get("/api/v1/funnels/", {"map": shop["map"].pk}).status_code == 404
    assert api_as(oscar).get("/api/v1/funnels/dropped/", {"map": shop["map"].pk, "step_index": 2}).status_code == 404


def test_api_bad_query_is_400_naming_the_field(api_as, alice, shop):
    response = api_as(alice).get("/api/v1/funnels/", {**EVENT_QUERY, "order": "sideways"})
    assert response.status_code == 400
    assert "order" in str(response.json())


def test_api_dropped_gives_the_profiles_who_did_not_convert(api_as, alice, shop):
    response = api_as(alice).get("/api/v1/funnels/dropped/", {**EVENT_QUERY, "step_index": 2})
    assert response.status_code == 200
    assert response.json()["profiles"] == sorted([shop["profile"]["p2"].pk, shop["profile"]["p3"].pk])


def test_page_and_api_answer_the_same_query(client_as, api_as, alice, shop):
    page = client_as(alice).get(reverse("analytics:funnels"), EVENT_QUERY)
    assert page.status_code == 200
    api = api_as(alice).get("/api/v1/funnels/", EVENT_QUERY).json()
    assert page.context["result"]["steps"][1]["converted"] == api["steps"][1]["converted"] == 1
    html = page.content.decode()
    assert 'class="an-bar" style="width: 33.3%"' in html
    assert '<caption id="steps-a">' in html  # the accessible table under the chart


def test_map_funnel_page_is_linked_from_the_map_and_scoped(client_as, alice, oscar, shop):
    url = reverse("analytics:map_funnel", kwargs={"map_pk": shop["map"].pk})
    assert {"label": "Conversion funnel", "url": url} in [
        {"label": str(link["label"]), "url": link["url"]} for link in map_links(shop["map"])
    ]
    response = client_as(alice).get(url, PERIOD)
    assert response.status_code == 200
    assert [s["converted"] for s in response.context["result"]["steps"]] == [2, 1]
    assert client_as(oscar).get(url).status_code == 404


def test_dropped_cohort_is_saved_and_exported(client_as, alice, victor, shop):
    data = {**EVENT_QUERY, "step_index": 2}
    assert client_as(victor).post(reverse("analytics:dropped_cohort"), data).status_code == 403
    assert not Cohort.objects.exists()
    response = client_as(alice).post(reverse("analytics:dropped_cohort"), data)
    assert response.status_code == 302
    cohort = Cohort.objects.get()
    assert cohort.kind == "static" and cohort.name == "Dropped at “Bought”"
    assert set(CohortMember.objects.filter(cohort=cohort).values_list("profile_id", flat=True)) == {
        shop["profile"]["p2"].pk,
        shop["profile"]["p3"].pk,
    }
    assert response["Location"] == cohort.get_absolute_url()
    detail = client_as(alice).get(cohort.get_absolute_url())
    assert detail.status_code == 200 and len(detail.context["profiles"]) == 2
    download = client_as(alice).get(reverse("analytics:cohort_csv", kwargs={"cohort_pk": cohort.pk}))
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == cohorts.CSV_HEADER
    assert sorted(int(r[0]) for r in rows[1:]) == sorted([shop["profile"]["p2"].pk, shop["profile"]["p3"].pk])


def test_rule_cohort_traits_stage_and_events(team_a, alice, shop):
    p1, p2, p3 = (shop["profile"][k] for k in ("p1", "p2", "p3"))
    ProfileStage.objects.create(
        team=team_a, profile=p1, journey_map=shop["map"], stage=shop["stages"][1], entered_at=T0
    )
    now = T0 + timedelta(days=2)

    def members(rules):
        cohort = cohorts.cohort_create(team=team_a, actor=alice, name="r", kind="rules", rules=rules)
        return set(cohorts.cohort_profiles(cohort, now=now).values_list("pk", flat=True))

    trait = {"type": "trait", "key": "persona", "op": "eq", "value": "careful"}
    assert members({"conditions": [trait]}) == {p2.pk}
    assert members({"conditions": [{"type": "stage", "stage": shop["stages"][1].pk}]}) == {p1.pk}
    bought = {"type": "event", "event": "Bought", "done": True, "days": 7}
    assert members({"conditions": [bought]}) == {p1.pk}
    assert members({"conditions": [{**bought, "done": False}]}) == {p2.pk, p3.pk}
    assert members({"match": "any", "conditions": [trait, bought]}) == {p1.pk, p2.pk}
    assert members({"match": "all", "conditions": [trait, bought]}) == set()


def test_rule_cohort_refuses_bad_rules(team_a, alice):
    from django.core.exceptions import ValidationError

    for rules in ({}, {"conditions": [{"type": "nope"}]}, {"conditions": [{"type": "trait", "key": "a__b"}]}):
        with pytest.raises(ValidationError):
            cohorts.cohort_create(team=team_a, actor=alice, name="r", kind="rules", rules=rules)
    assert not Cohort.objects.exists()


def test_static_cohort_follows_merged_members(team_a, alice, shop):
    source = services.source_create(team=team_a, actor=alice, name="Other")[0]
    p3 = shop["profile"]["p3"]
    cohort = cohorts.cohort_create(team=team_a, actor=alice, name="s", profile_ids=[p3.pk])
    _ingest(source, [track("Viewed", T0, "p3", user="u3"), {"type": "identify", "userId": "u3", "anonymousId": "p1"}])
    live = Identity.objects.get(team=team_a, value="p3").profile_id
    assert list(cohorts.cohort_profiles(cohort).values_list("pk", flat=True)) == [live]


def test_api_cohort_crud_profiles_and_csv(api_as, alice, victor, oscar, team_a, shop):
    client = api_as(alice)
    p2 = shop["profile"]["p2"]
    created = client.post(
        "/api/v1/cohorts/", {"team": team_a.pk, "name": "Lost", "profile_ids": [p2.pk]}, format="json"
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert client.get(f"/api/v1/cohorts/{pk}/profiles/").json()["results"][0]["id"] == p2.pk
    assert client.patch(f"/api/v1/cohorts/{pk}/", {"name": "Lost at checkout"}, format="json").status_code == 200
    assert Cohort.objects.get(pk=pk).name == "Lost at checkout"
    assert Cohort.objects.get(pk=pk).history.count() == 2
    csv_response = client.get(f"/api/v1/cohorts/{pk}/csv/")
    assert csv_response.status_code == 200 and str(p2.pk) in b"".join(csv_response.streaming_content).decode()
    assert api_as(victor).delete(f"/api/v1/cohorts/{pk}/").status_code == 403
    assert api_as(oscar).get(f"/api/v1/cohorts/{pk}/").status_code == 404
    rules = {"conditions": [{"type": "event", "event": "Bought", "done": True, "days": 3660}]}
    made = client.post(
        "/api/v1/cohorts/", {"team": team_a.pk, "name": "Buyers", "kind": "rules", "rules": rules}, format="json"
    )
    assert made.status_code == 201
    ids = [row["id"] for row in client.get(f"/api/v1/cohorts/{made.json()['id']}/profiles/").json()["results"]]
    assert ids == [shop["profile"]["p1"].pk]
    bad = client.post(
        "/api/v1/cohorts/", {"team": team_a.pk, "name": "Bad", "kind": "rules", "rules": {}}, format="json"
    )
    assert bad.status_code == 400
    assert client.delete(f"/api/v1/cohorts/{pk}/").status_code == 204
    assert not Cohort.objects.filter(pk=pk).exists()


def test_funnel_page_query_count_is_bounded(client_as, alice, shop, django_assert_max_num_queries):
    client = client_as(alice)
    client.get(reverse("analytics:funnels"))  # session and team set up
    with django_assert_max_num_queries(25):
        response = client.get(reverse("analytics:funnels"), {"map": shop["map"].pk, **PERIOD})
    assert response.status_code == 200


def test_cohort_list_query_count_is_bounded(client_as, alice, team_a, django_assert_max_num_queries):
    for n in range(5):
        cohorts.cohort_create(team=team_a, actor=alice, name=f"c{n}")
    client = client_as(alice)
    client.get(reverse("analytics:cohort_list"))
    with django_assert_max_num_queries(10):
        response = client.get(reverse("analytics:cohort_list"))
    assert response.status_code == 200 and len(response.context["cohorts"]) == 5


def test_map_funnel_page_takes_a_window_per_step(client_as, alice, shop):
    url = reverse("analytics:map_funnel", kwargs={"map_pk": shop["map"].pk})
    response = client_as(alice).get(url, {"window": ["1", "2"], **PERIOD})
    assert response.status_code == 200
    assert [s["window_seconds"] for s in response.context["result"]["steps"]] == [3600, 7200]
    refused = client_as(alice).get(url, {"window": ["1", "2", "3"]})
    assert refused.status_code == 400 and "window" in refused.context["errors"]
