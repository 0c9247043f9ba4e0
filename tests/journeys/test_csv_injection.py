"""Touchpoint exports (page and API) never hand a spreadsheet a live formula."""

import csv
import io

import pytest
from django.urls import reverse

from journeys.models import Touchpoint

NAMES = ['=HYPERLINK("https://evil.example","x")', "\t=1+1", "\uff1dSUM(1)", "@A1", "Plain"]


@pytest.fixture
def rigged_map(make_map):
    journey_map = make_map(stages=1, per_stage=len(NAMES), pains=0)
    touchpoints = Touchpoint.objects.filter(stage__journey_map=journey_map).order_by("position")
    for tp, name in zip(touchpoints, NAMES, strict=True):
        # Straight to the row: whatever a form strips, a stored value must still export safely.
        Touchpoint.objects.filter(pk=tp.pk).update(name=name, evidence_source="-cmd")
    return journey_map


def _column(content: bytes, name: str) -> list[str]:
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    return [row[name] for row in rows]


def _expected():
    return ["'" + n for n in NAMES[:-1]] + ["Plain"]


def test_touchpoints_csv_page_neutralises_formulas(client_as, erin, rigged_map):
    response = client_as(erin).get(reverse("journeys:map_touchpoints_csv", args=[rigged_map.pk]))
    assert response.status_code == 200
    assert _column(response.content, "touchpoint") == _expected()
    assert _column(response.content, "evidence") == ["'-cmd"] * len(NAMES)


def test_touchpoints_csv_api_neutralises_formulas(api_as, erin, rigged_map):
    response = api_as(erin).get(f"/api/v1/maps/{rigged_map.pk}/touchpoints-csv/")
    assert response.status_code == 200
    assert _column(response.content, "touchpoint") == _expected()
