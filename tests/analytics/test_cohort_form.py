"""The rule cohort form: the same rules as the API, a preview count that saves nothing, errors kept."""

from __future__ import annotations

import pytest
from django.urls import reverse

from analytics.models import Cohort
from customers.models import ProfileStage

from .test_funnel_pages_api import T0, shop  # noqa: F401  (the fixture)

URL = "/analytics/cohorts/new/"


def _data(**rows) -> dict:
    data = {"name": "Careful shoppers", "description": "", "match": "all"}
    data.update({"c-TOTAL_FORMS": "5", "c-INITIAL_FORMS": "0", "c-MIN_NUM_FORMS": "0", "c-MAX_NUM_FORMS": "20"})
    for index, row in rows.items():
        for key, value in row.items():
            data[f"c-{index[1:]}-{key}"] = value
    return data


def test_url_is_the_one_documented():
    assert reverse("analytics:cohort_new") == URL


def test_preview_counts_without_saving_then_save_stores_the_api_rules(client_as, alice, team_a, shop):  # noqa: F811
    p1 = shop["profile"]["p1"]
    ProfileStage.objects.create(
        team=team_a, profile=p1, journey_map=shop["map"], stage=shop["stages"][1], entered_at=T0
    )
    rows = {
        "r0": {"type": "trait", "key": "persona", "op": "eq", "value": "careful"},
        "r1": {"type": "stage", "stage": str(shop["stages"][1].pk)},
    }
    client = client_as(alice)
    assert client.get(URL).status_code == 200
    any_of = _data(**rows) | {"match": "any"}
    preview = client.post(URL, {**any_of, "preview": "1"})
    assert preview.status_code == 200
    assert preview.context["preview"] == 2
    assert "2 profiles meet these rules now." in preview.content.decode()
    assert not Cohort.objects.exists()

    saved = client.post(URL, any_of)
    assert saved.status_code == 302
    cohort = Cohort.objects.get()
    assert saved["Location"] == cohort.get_absolute_url()
    assert cohort.kind == "rules"
    assert cohort.rules == {
        "match": "any",
        "conditions": [
            {"type": "trait", "key": "persona", "op": "eq", "value": "careful"},
            {"type": "stage", "stage": shop["stages"][1].pk},
        ],
    }


def test_event_not_done_and_in_list(client_as, alice, shop):  # noqa: F811
    rows = {
        "r0": {"type": "event", "event": "Bought", "done": "no", "days": "3650"},
        "r2": {"type": "trait", "key": "persona", "op": "in", "value": "careful, bold"},
    }
    response = client_as(alice).post(URL, {**_data(**rows), "preview": "1"})
    assert response.status_code == 200
    assert response.context["preview"] == 1  # p2: careful, never bought
    client_as(alice).post(URL, _data(**rows))
    rules = Cohort.objects.get().rules
    assert rules["conditions"][0] == {"type": "event", "event": "Bought", "done": False, "days": 3650}
    assert rules["conditions"][1]["value"] == ["careful", "bold"]


@pytest.mark.parametrize(
    "rows, field",
    [
        ({}, None),
        ({"r0": {"type": "trait", "key": ""}}, "key"),
        ({"r0": {"type": "trait", "key": "a__b", "op": "eq"}}, None),
        ({"r0": {"type": "event", "event": "x", "days": "0"}}, "days"),
        ({"r0": {"type": "stage"}}, "stage"),
    ],
)
def test_bad_rules_are_a_400_naming_the_problem_and_keep_the_input(client_as, alice, rows, field):
    response = client_as(alice).post(URL, _data(**rows))
    assert response.status_code == 400
    assert not Cohort.objects.exists()
    assert response.context["form"]["name"].value() == "Careful shoppers"
    if field:
        assert any(field in row.errors for row in response.context["conditions"].forms)
    else:
        assert response.context["form"].non_field_errors() or response.context["conditions"].non_form_errors()


def test_viewer_gets_403_and_outsider_stage_is_not_offered(client_as, victor, oscar, alice, shop):  # noqa: F811
    assert client_as(victor).get(URL).status_code == 403
    assert client_as(victor).post(URL, _data(r0={"type": "trait", "key": "persona", "op": "exists"})).status_code == 403
    assert not Cohort.objects.exists()
    response = client_as(oscar).post(URL, _data(r0={"type": "stage", "stage": str(shop["stages"][0].pk)}))
    assert response.status_code in (400, 403, 404)
    assert not Cohort.objects.exists()
    assert client_as(alice).put(URL).status_code == 405
