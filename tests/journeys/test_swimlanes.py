"""Swimlanes: lanes under the stages, text cells, derived lanes, lane sources, versions and the API."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from journeys import services
from journeys.extensions import LaneItem, register_lane_source, registry
from journeys.models import Lane, LaneCell, MapVersion
from journeys.snapshot import map_document, validate_document
from journeys.swimlanes import DEFAULT_LANES, swimlane_rows


@pytest.fixture
def shop(make_map):
    return make_map(title="Furniture checkout", stages=2, per_stage=1, pains=1)


def _stages(journey_map):
    return list(journey_map.stages.order_by("position"))


def test_standard_lanes_are_added_once_in_the_designers_order(erin, shop):
    revision = shop.revision
    added = services.lanes_add_standard(journey_map=shop, actor=erin, revision=revision)

    assert [lane.kind for lane in added] == list(Lane.Kind.values)
    assert list(Lane.objects.filter(journey_map=shop).values_list("position", flat=True)) == list(range(8))
    shop.refresh_from_db()
    assert shop.revision == revision + 1
    assert services.lanes_add_standard(journey_map=shop, actor=erin, revision=None) == []
    assert Lane.objects.filter(journey_map=shop).count() == 8


def test_text_cells_and_derived_lanes_fill_the_rows(erin, shop):
    thoughts = services.lane_create(journey_map=shop, actor=erin, revision=None, kind="thoughts", title="")
    pains = services.lane_create(journey_map=shop, actor=erin, revision=None, kind="pain_points", position=0)
    first = _stages(shop)[0]
    services.lane_cell_set(lane=thoughts, stage=first, actor=erin, revision=None, text="Is it in stock?\nWhen?")

    lanes = list(Lane.objects.filter(journey_map=shop))
    rows = swimlane_rows(map_document(shop), journey_map=shop, lanes=lanes)

    assert [(r.kind, r.lane_id) for r in rows] == [("pain_points", pains.pk), ("thoughts", thoughts.pk)]
    assert rows[1].title == "Thoughts" and rows[1].is_text and not rows[0].is_text
    assert [i.text for i in rows[1].cells[0]] == ["Is it in stock?", "When?"]
    assert rows[1].cells[1] == [] and rows[1].texts == ["Is it in stock?\nWhen?", ""]
    # Open pain points come from the map itself: one per touchpoint in the fixture, severity 2.
    assert [(i.text, i.tone) for i in rows[0].cells[0]] == [("Pain 1", "warning")]
    assert rows[0].cells[0][0].detail == "Severity 2 · Open"


def test_a_map_without_lanes_is_drawn_with_the_default_ones(shop):
    rows = swimlane_rows(map_document(shop), journey_map=shop)
    assert [r.kind for r in rows] == [str(k) for k in DEFAULT_LANES]
    emotions = next(r for r in rows if r.kind == "emotions")
    assert [(i.text, i.detail, i.tone) for i in emotions.cells[0]] == [
        ("Curious (+1)", "Stage 1 touchpoint 1", "positive")
    ]


def test_cells_refuse_derived_lanes_other_maps_and_duplicates(erin, shop, make_map):
    other = make_map(title="Other", stages=1, per_stage=0, pains=0)
    emotions = services.lane_create(journey_map=shop, actor=erin, revision=None, kind="emotions")
    actions = services.lane_create(journey_map=shop, actor=erin, revision=None, kind="actions")
    first = _stages(shop)[0]

    with pytest.raises(ValidationError) as exc:
        services.lane_cell_create(lane=emotions, stage=first, actor=erin, revision=None, text="x")
    assert "lane" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.lane_cell_create(lane=actions, stage=_stages(other)[0], actor=erin, revision=None, text="x")
    assert "stage" in exc.value.message_dict
    services.lane_cell_create(lane=actions, stage=first, actor=erin, revision=None, text="Browses")
    with pytest.raises(ValidationError) as exc:
        services.lane_cell_create(lane=actions, stage=first, actor=erin, revision=None, text="Again")
    assert "stage" in exc.value.message_dict
    assert list(LaneCell.objects.values_list("text", flat=True)) == ["Browses"]
    # The inline form's upsert: empty text removes the cell.
    assert services.lane_cell_set(lane=actions, stage=first, actor=erin, revision=None, text="  ") is None
    assert not LaneCell.objects.exists()


def test_viewers_and_outsiders_cannot_change_lanes(victor, oscar, erin, shop):
    with pytest.raises(PermissionDenied):
        services.lane_create(journey_map=shop, actor=victor, revision=None, kind="thoughts")
    lane = services.lane_create(journey_map=shop, actor=erin, revision=None, kind="thoughts")
    with pytest.raises(PermissionDenied):
        services.lane_delete(lane=lane, actor=victor, revision=None)
    from django.http import Http404

    with pytest.raises(Http404):
        services.lane_update(lane=lane, actor=oscar, revision=None, title="Mine")
    assert Lane.objects.get().title == ""


def test_a_stale_revision_is_a_conflict(erin, shop):
    stale = shop.revision
    services.lane_create(journey_map=shop, actor=erin, revision=stale, kind="thoughts")
    with pytest.raises(services.MapConflict):
        services.lane_create(journey_map=shop, actor=erin, revision=stale, kind="actions")
    assert Lane.objects.count() == 1


def test_lanes_are_in_the_version_snapshot_and_come_back_on_restore(erin, shop):
    thoughts = services.lane_create(journey_map=shop, actor=erin, revision=None, kind="thoughts", title="Inner voice")
    first = _stages(shop)[0]
    services.lane_cell_set(lane=thoughts, stage=first, actor=erin, revision=None, text="Will it fit?")
    version = services.map_publish(journey_map=shop, actor=erin)

    assert version.snapshot["lanes"] == [
        {
            "key": str(thoughts.key),
            "kind": "thoughts",
            "title": "Inner voice",
            "cells": [{"stage": str(first.key), "text": "Will it fit?"}],
        }
    ]
    services.lane_cell_set(lane=thoughts, stage=first, actor=erin, revision=None, text="Changed")
    services.lane_create(journey_map=shop, actor=erin, revision=None, kind="metrics")
    services.map_restore(journey_map=shop, actor=erin, number=version.number)

    lanes = list(Lane.objects.filter(journey_map=shop))
    assert [(lane.key, lane.title) for lane in lanes] == [(thoughts.key, "Inner voice")]
    assert list(LaneCell.objects.values_list("stage_id", "text")) == [(first.pk, "Will it fit?")]


def test_a_map_without_lanes_keeps_its_old_document(shop, erin):
    assert "lanes" not in map_document(shop)
    version = services.map_publish(journey_map=shop, actor=erin)
    # Nothing changed since: the same document, nothing to publish.
    with pytest.raises(ValidationError):
        services.map_publish(journey_map=shop, actor=erin)
    assert MapVersion.objects.filter(journey_map=shop).count() == version.number


def test_templates_and_imports_carry_lanes_by_stage_place(erin, team_a, shop):
    lane = services.lane_create(journey_map=shop, actor=erin, revision=None, kind="opportunities")
    second = _stages(shop)[1]
    services.lane_cell_set(lane=lane, stage=second, actor=erin, revision=None, text="Same-day delivery")
    template = services.map_template_create(journey_map=shop, actor=erin, name="Checkout")
    assert template.document["lanes"] == [
        {"kind": "opportunities", "title": "", "cells": [{"stage": 1, "text": "Same-day delivery"}]}
    ]

    new = services.map_create_from_template(team=team_a, actor=erin, template=template, title="From template")
    cell = LaneCell.objects.get(lane__journey_map=new)
    assert (cell.stage.position, cell.text, cell.lane.kind) == (1, "Same-day delivery", "opportunities")


def test_documents_with_bad_lanes_name_the_problem(shop):
    document = map_document(shop)
    document["lanes"] = [{"kind": "dreams", "cells": []}]
    with pytest.raises(ValidationError) as exc:
        validate_document(document)
    assert "lanes[0].kind" in str(exc.value)
    document["lanes"] = [{"kind": "thoughts", "cells": [{"stage": "nope", "text": "x"}]}]
    with pytest.raises(ValidationError) as exc:
        validate_document(document)
    assert "lanes[0].cells[0].stage" in str(exc.value)


def test_a_registered_source_fills_its_lane(monkeypatch, erin, shop):
    monkeypatch.setattr(registry, "lane_sources", [])
    first = _stages(shop)[0]
    register_lane_source("metrics", lambda journey_map, keys: {str(first.key): [LaneItem("NPS 42", "n = 120")]})
    rows = swimlane_rows(
        {**map_document(shop), "lanes": [{"key": "k", "kind": "metrics", "title": "", "cells": []}]}, journey_map=shop
    )
    assert [(i.text, i.detail) for i in rows[0].cells[0]] == [("NPS 42", "n = 120")]


def test_owners_fill_the_backstage_lane(erin, shop):
    from owners import services as owner_services

    tp = _stages(shop)[0].touchpoints.get()
    owner_services.ownership_assign(actor=erin, touchpoint=tp, user=erin)
    lane = services.lane_create(journey_map=shop, actor=erin, revision=None, kind="backstage")
    rows = swimlane_rows(map_document(shop), journey_map=shop, lanes=[lane])
    assert [i.detail for i in rows[0].cells[0]] == ["Accountable: Stage 1 touchpoint 1"]


# --- pages -------------------------------------------------------------------------------------


def test_the_canvas_page_shows_lanes_and_links_cells_for_editors(client_as, erin, victor, shop):
    lane = services.lane_create(journey_map=shop, actor=erin, revision=None, kind="actions")
    first = _stages(shop)[0]
    services.lane_cell_set(lane=lane, stage=first, actor=erin, revision=None, text="Compares sofas")
    url = reverse("journeys:swimlanes", args=[shop.pk])
    edit = reverse("journeys:lane_cell_edit", args=[shop.pk, lane.pk, first.pk])

    html = client_as(erin).get(url).content.decode()
    assert "Compares sofas" in html and "Customer actions" in html and edit in html
    html = client_as(victor).get(url).content.decode()
    assert "Compares sofas" in html and edit not in html


def test_the_canvas_page_reads_in_fixed_queries(client_as, erin, make_map, django_assert_max_num_queries):
    big = make_map(title="Big", stages=6, per_stage=4, pains=2)
    services.lanes_add_standard(journey_map=big, actor=erin, revision=None)
    client = client_as(erin)
    with django_assert_max_num_queries(25):
        assert client.get(reverse("journeys:swimlanes", args=[big.pk])).status_code == 200


def test_editing_a_cell_on_the_page_saves_it(client_as, erin, victor, shop):
    lane = services.lane_create(journey_map=shop, actor=erin, revision=None, kind="thoughts")
    first = _stages(shop)[0]
    shop.refresh_from_db()
    url = reverse("journeys:lane_cell_edit", args=[shop.pk, lane.pk, first.pk])

    assert client_as(victor).post(url, {"revision": shop.revision, "text": "x"}).status_code == 403
    response = client_as(erin).post(url, {"revision": shop.revision, "text": "Will it fit the room?"})
    assert response.status_code == 302
    assert LaneCell.objects.get().text == "Will it fit the room?"
    stale = client_as(erin).post(url, {"revision": shop.revision, "text": "Other"})
    assert stale.status_code == 409 and LaneCell.objects.get().text == "Will it fit the room?"
    assert client_as(erin).put(url).status_code == 405


def test_lane_settings_add_move_and_delete(client_as, erin, shop):
    client = client_as(erin)
    url = reverse("journeys:lane_settings", args=[shop.pk])
    assert client.post(url, {"revision": shop.revision, "kind": "dreams"}).status_code == 400
    assert client.post(url, {"revision": shop.revision, "kind": "thoughts", "title": "Voice"}).status_code == 302
    shop.refresh_from_db()
    client.post(url, {"revision": shop.revision, "kind": "actions"})
    first, second = Lane.objects.order_by("position")
    shop.refresh_from_db()
    move = reverse("journeys:lane_move", args=[shop.pk, second.pk])
    assert client.post(move, {"revision": shop.revision, "direction": "up"}).status_code == 302
    assert list(Lane.objects.order_by("position").values_list("kind", flat=True)) == ["actions", "thoughts"]
    assert client.post(reverse("journeys:lane_delete", args=[shop.pk, first.pk])).status_code == 302
    assert list(Lane.objects.values_list("kind", flat=True)) == ["actions"]


# --- API ---------------------------------------------------------------------------------------


def test_api_lanes_and_cells(api_as, erin, victor, oscar, shop):
    api = api_as(erin)
    response = api.post("/api/v1/lanes/", {"journey_map": shop.pk, "kind": "thoughts"}, format="json")
    assert response.status_code == 201, response.content
    lane = response.json()
    assert (lane["kind"], lane["display_title"], lane["position"], lane["is_text"]) == ("thoughts", "Thoughts", 0, True)
    etag = response["ETag"]
    stage = _stages(shop)[0]

    cell = api.post(
        "/api/v1/lane-cells/", {"lane": lane["id"], "stage": stage.pk, "text": "Hmm"}, format="json", HTTP_IF_MATCH=etag
    )
    assert cell.status_code == 201, cell.content
    again = api.post("/api/v1/lane-cells/", {"lane": lane["id"], "stage": stage.pk, "text": "x"}, format="json")
    assert again.status_code == 400 and "stage" in again.json()["errors"]
    stale = api.patch(f"/api/v1/lane-cells/{cell.json()['id']}/", {"text": "New"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 409
    assert api.get(f"/api/v1/lane-cells/?map={shop.pk}").json()["results"][0]["text"] == "Hmm"

    assert api_as(victor).post("/api/v1/lanes/", {"journey_map": shop.pk, "kind": "actions"}).status_code == 403
    assert api_as(oscar).get(f"/api/v1/lanes/{lane['id']}/").status_code == 404
    bad = api_as(erin).get("/api/v1/lanes/?ordering=secret")
    assert bad.status_code == 400 and "ordering" in str(bad.json())
    assert api_as(erin).delete(f"/api/v1/lanes/{lane['id']}/").status_code == 204
    assert not LaneCell.objects.exists()
