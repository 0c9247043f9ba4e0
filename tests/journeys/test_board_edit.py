"""Editing in place on the board and undo: the MapChange record, the services, the pages and the API."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from journeys import services
from journeys.models import JourneyMap, MapChange, PainPoint, Stage, Touchpoint

pytestmark = pytest.mark.usefixtures("isolated_registry")

HX = {"HTTP_HX_REQUEST": "true"}


def _fresh(journey_map):
    return JourneyMap.objects.get(pk=journey_map.pk)


def _stage_names(journey_map):
    return list(Stage.objects.filter(journey_map=journey_map).order_by("position").values_list("name", flat=True))


def _tp_layout(journey_map):
    """Each stage's touchpoint names in order: what a move or its undo must put back exactly."""
    return [
        [t.name for t in Touchpoint.objects.filter(stage=s).order_by("position")]
        for s in Stage.objects.filter(journey_map=journey_map).order_by("position")
    ]


def _undo(journey_map, user):
    return services.map_undo(journey_map=journey_map, actor=user, revision=_fresh(journey_map).revision)


# --- the record and undo of each kind of change (services) ----------------------------------


def test_stage_rename_is_recorded_with_before_and_after_and_undo_puts_it_back(make_map, erin):
    journey_map = make_map(stages=2, per_stage=0)
    stage = Stage.objects.filter(journey_map=journey_map).order_by("position").first()
    services.stage_update(stage=stage, actor=erin, revision=None, name="Discover")
    change = MapChange.objects.filter(journey_map=journey_map).first()
    assert (change.kind, change.before, change.after) == ("stage_update", {"name": "Stage 1"}, {"name": "Discover"})
    assert change.key == stage.key and change.created_by == erin and change.undone_at is None
    revision = _fresh(journey_map).revision
    history_before = stage.history.count()

    undone = _undo(journey_map, erin)

    assert undone.pk == change.pk
    assert Stage.objects.get(pk=stage.pk).name == "Stage 1"
    assert MapChange.objects.get(pk=change.pk).undone_at is not None
    assert _fresh(journey_map).revision == revision + 1
    assert stage.history.count() == history_before + 1
    assert stage.history.first().name == "Stage 1" and stage.history.first().history_user == erin


def test_a_save_that_changes_nothing_records_nothing(make_map, erin):
    journey_map = make_map(stages=1, per_stage=0)
    stage = Stage.objects.get(journey_map=journey_map)
    count = MapChange.objects.count()
    services.stage_update(stage=stage, actor=erin, revision=None, name=stage.name)
    assert MapChange.objects.count() == count


def test_emotion_change_and_its_undo_restore_label_and_score(make_map, erin):
    journey_map = make_map(stages=1, per_stage=1)
    tp = Touchpoint.objects.get(stage__journey_map=journey_map)
    services.touchpoint_update(touchpoint=tp, actor=erin, revision=None, emotion_label="frustrated")
    change = MapChange.objects.first()
    assert change.kind == "touchpoint_update"
    assert change.before == {"emotion": 1, "emotion_label": "curious"}
    assert change.after == {"emotion": -2, "emotion_label": "frustrated"}
    _undo(journey_map, erin)
    tp.refresh_from_db()
    assert (tp.emotion, tp.emotion_label) == (1, "curious")


def test_stage_move_and_reorder_are_undone_to_the_old_order(make_map, erin):
    journey_map = make_map(stages=3, per_stage=0)
    stages = list(Stage.objects.filter(journey_map=journey_map).order_by("position"))
    services.stage_move(stage=stages[0], actor=erin, revision=None, position=2)
    assert _stage_names(journey_map) == ["Stage 2", "Stage 3", "Stage 1"]
    services.stage_reorder(
        journey_map=journey_map, actor=erin, revision=None, stages=[stages[2].pk, stages[0].pk, stages[1].pk]
    )
    assert _stage_names(journey_map) == ["Stage 3", "Stage 1", "Stage 2"]
    assert [c.kind for c in MapChange.objects.filter(journey_map=journey_map)[:2]] == ["stages_reorder"] * 2

    _undo(journey_map, erin)
    assert _stage_names(journey_map) == ["Stage 2", "Stage 3", "Stage 1"]
    _undo(journey_map, erin)
    assert _stage_names(journey_map) == ["Stage 1", "Stage 2", "Stage 3"]


def test_reorder_must_list_every_stage_once(make_map, erin):
    journey_map = make_map(stages=3, per_stage=0)
    ids = list(Stage.objects.filter(journey_map=journey_map).order_by("position").values_list("pk", flat=True))
    revision = _fresh(journey_map).revision
    for bad in ([ids[0], ids[1]], [ids[0], ids[0], ids[1]], [*ids, 999999], ["x", ids[1], ids[2]]):
        with pytest.raises(ValidationError) as caught:
            services.stage_reorder(journey_map=journey_map, actor=erin, revision=None, stages=bad)
        assert "stages" in caught.value.message_dict
    assert _stage_names(journey_map) == ["Stage 1", "Stage 2", "Stage 3"]
    assert _fresh(journey_map).revision == revision


def test_touchpoint_move_to_another_stage_is_undone_to_its_place(make_map, erin):
    journey_map = make_map(stages=2, per_stage=2, pains=0)
    first, second = Stage.objects.filter(journey_map=journey_map).order_by("position")
    tp = Touchpoint.objects.get(stage=first, position=0)
    before = _tp_layout(journey_map)
    services.touchpoint_move(touchpoint=tp, actor=erin, revision=None, stage=second, position=1)
    assert _tp_layout(journey_map)[1][1] == "Stage 1 touchpoint 1"
    change = MapChange.objects.first()
    assert change.kind == "touchpoint_move"
    assert change.before == {"stage": str(first.key), "position": 0}
    assert change.after == {"stage": str(second.key), "position": 1}
    _undo(journey_map, erin)
    assert _tp_layout(journey_map) == before


def test_added_stage_touchpoint_and_pain_point_are_removed_by_undo(make_map, erin):
    journey_map = make_map(stages=1, per_stage=1, pains=0)
    stage = Stage.objects.get(journey_map=journey_map)
    tp = Touchpoint.objects.get(stage=stage)
    new_stage = services.stage_create(journey_map=journey_map, actor=erin, revision=None, name="Loyalty", position=0)
    new_tp = services.touchpoint_create(stage=stage, actor=erin, revision=None, name="Receipt email", position=0)
    pp = services.pain_point_create(touchpoint=tp, actor=erin, revision=None, title="Slow", severity=4)

    assert _undo(journey_map, erin).kind == "pain_point_create"
    assert not PainPoint.objects.filter(pk=pp.pk).exists()
    assert _undo(journey_map, erin).kind == "touchpoint_create"
    assert not Touchpoint.objects.filter(pk=new_tp.pk).exists()
    assert Touchpoint.objects.get(pk=tp.pk).position == 0
    assert _undo(journey_map, erin).kind == "stage_create"
    assert not Stage.objects.filter(pk=new_stage.pk).exists()
    assert Stage.objects.get(pk=stage.pk).position == 0


def test_deleted_stage_comes_back_with_its_touchpoints_pain_points_and_keys(make_map, erin):
    journey_map = make_map(stages=3, per_stage=2, pains=2)
    middle = Stage.objects.get(journey_map=journey_map, position=1)
    keys = {
        "stage": middle.key,
        "touchpoints": sorted(Touchpoint.objects.filter(stage=middle).values_list("key", flat=True)),
        "pains": sorted(PainPoint.objects.filter(touchpoint__stage=middle).values_list("key", flat=True)),
    }
    layout = _tp_layout(journey_map)
    services.stage_delete(stage=middle, actor=erin, revision=None)
    assert _stage_names(journey_map) == ["Stage 1", "Stage 3"]

    assert _undo(journey_map, erin).kind == "stage_delete"

    assert _stage_names(journey_map) == ["Stage 1", "Stage 2", "Stage 3"]
    back = Stage.objects.get(journey_map=journey_map, position=1)
    assert back.key == keys["stage"]
    assert sorted(Touchpoint.objects.filter(stage=back).values_list("key", flat=True)) == keys["touchpoints"]
    assert sorted(PainPoint.objects.filter(touchpoint__stage=back).values_list("key", flat=True)) == keys["pains"]
    assert _tp_layout(journey_map) == layout
    assert list(PainPoint.objects.filter(touchpoint__stage=back).values_list("severity", flat=True).distinct()) != []


def test_deleted_touchpoint_and_pain_point_come_back_in_place(make_map, erin):
    journey_map = make_map(stages=1, per_stage=3, pains=1)
    layout = _tp_layout(journey_map)
    middle = Touchpoint.objects.get(stage__journey_map=journey_map, position=1)
    key, pain_title = middle.key, middle.pain_points.get().title
    services.touchpoint_delete(touchpoint=middle, actor=erin, revision=None)
    other = Touchpoint.objects.get(stage__journey_map=journey_map, position=0)
    pain = other.pain_points.get()
    services.pain_point_delete(pain_point=pain, actor=erin, revision=None)

    assert _undo(journey_map, erin).kind == "pain_point_delete"
    assert PainPoint.objects.get(touchpoint=other).key == pain.key
    assert _undo(journey_map, erin).kind == "touchpoint_delete"
    assert _tp_layout(journey_map) == layout
    back = Touchpoint.objects.get(stage__journey_map=journey_map, position=1)
    assert back.key == key and back.emotion_label == "curious"
    assert back.pain_points.get().title == pain_title


def test_pain_point_status_change_is_undone_with_its_fixed_time(make_map, erin):
    journey_map = make_map(stages=1, per_stage=1, pains=1)
    pain = PainPoint.objects.get(touchpoint__stage__journey_map=journey_map)
    services.pain_point_update(pain_point=pain, actor=erin, revision=None, status="fixed", severity=5)
    assert PainPoint.objects.get(pk=pain.pk).fixed_at is not None
    assert _undo(journey_map, erin).kind == "pain_point_update"
    pain.refresh_from_db()
    assert (pain.status, pain.severity, pain.fixed_at) == ("open", 2, None)


def test_undo_takes_back_only_the_actors_own_changes(make_map, erin, alice):
    journey_map = make_map(stages=2, per_stage=0)
    first, second = Stage.objects.filter(journey_map=journey_map).order_by("position")
    services.stage_update(stage=first, actor=erin, revision=None, name="Erin's")
    services.stage_update(stage=second, actor=alice, revision=None, name="Alice's")
    _undo(journey_map, erin)
    assert _stage_names(journey_map) == ["Stage 1", "Alice's"]
    with pytest.raises(ValidationError) as caught:
        _undo(journey_map, erin)
    assert caught.value.code == "nothing_to_undo"


def test_undo_is_refused_and_changes_nothing_when_someone_changed_it_since(make_map, erin, alice):
    journey_map = make_map(stages=1, per_stage=0)
    stage = Stage.objects.get(journey_map=journey_map)
    services.stage_update(stage=stage, actor=erin, revision=None, name="Erin's")
    services.stage_update(stage=stage, actor=alice, revision=None, name="Alice's")
    revision = _fresh(journey_map).revision
    with pytest.raises(services.UndoRefused):
        _undo(journey_map, erin)
    assert Stage.objects.get(pk=stage.pk).name == "Alice's"
    assert _fresh(journey_map).revision == revision
    assert MapChange.objects.filter(created_by=erin, undone_at__isnull=True).count() == 1


def test_undo_of_an_added_stage_is_refused_once_a_touchpoint_was_added_to_it(make_map, erin, alice):
    journey_map = make_map(stages=1, per_stage=0)
    stage = services.stage_create(journey_map=journey_map, actor=erin, revision=None, name="New")
    services.touchpoint_create(stage=stage, actor=alice, revision=None, name="Alice's touchpoint")
    with pytest.raises(services.UndoRefused):
        _undo(journey_map, erin)
    assert Touchpoint.objects.filter(stage=stage, name="Alice's touchpoint").exists()


def test_stale_undo_is_a_conflict_and_changes_nothing(make_map, erin):
    journey_map = make_map(stages=1, per_stage=0)
    stage = Stage.objects.get(journey_map=journey_map)
    services.stage_update(stage=stage, actor=erin, revision=None, name="Renamed")
    stale = _fresh(journey_map).revision - 1
    with pytest.raises(services.MapConflict):
        services.map_undo(journey_map=journey_map, actor=erin, revision=stale)
    assert Stage.objects.get(pk=stage.pk).name == "Renamed"
    assert MapChange.objects.get(kind="stage_update").undone_at is None


def test_undo_and_reorder_check_the_role(make_map, victor, oscar):
    journey_map = make_map(stages=2, per_stage=0)
    ids = list(Stage.objects.filter(journey_map=journey_map).values_list("pk", flat=True))
    with pytest.raises(PermissionDenied):
        services.map_undo(journey_map=journey_map, actor=victor, revision=None)
    with pytest.raises(PermissionDenied):
        services.stage_reorder(journey_map=journey_map, actor=victor, revision=None, stages=ids[::-1])
    with pytest.raises(Http404):
        services.map_undo(journey_map=journey_map, actor=oscar, revision=None)


def test_system_writes_are_not_recorded(team_a):
    journey_map = services.map_create(team=team_a, actor=None, title="Seeded", stages=["One"])
    services.stage_update(stage=journey_map.stages.get(), actor=None, revision=None, name="Two")
    assert not MapChange.objects.exists()


# --- pages ------------------------------------------------------------------------------------


def test_inline_rename_of_a_stage_saves_and_answers_the_board(client_as, erin, make_map):
    journey_map = make_map(stages=1, per_stage=0)
    stage = Stage.objects.get(journey_map=journey_map)
    response = client_as(erin).post(
        f"/maps/{journey_map.pk}/stages/{stage.pk}/inline/",
        {"field": "name", "value": "  Discover ", "revision": journey_map.revision},
        **HX,
    )
    assert response.status_code == 200
    assert b'id="map-workspace"' in response.content and b"Discover" in response.content
    assert Stage.objects.get(pk=stage.pk).name == "Discover"
    assert MapChange.objects.get().after == {"name": "Discover"}


def test_inline_emotion_of_a_touchpoint_saves_label_and_score(client_as, erin, make_map):
    journey_map = make_map(stages=1, per_stage=1)
    tp = Touchpoint.objects.get(stage__journey_map=journey_map)
    url = f"/maps/{journey_map.pk}/touchpoints/{tp.pk}/inline/"
    response = client_as(erin).post(
        url, {"field": "emotion_label", "value": "delighted", "revision": journey_map.revision}, **HX
    )
    assert response.status_code == 200
    tp.refresh_from_db()
    assert (tp.emotion_label, tp.emotion) == ("delighted", 2)


@pytest.mark.parametrize(
    ("kind", "field", "value"),
    [("stage", "name", "   "), ("touchpoint", "emotion_label", "ecstatic"), ("stage", "emotion_label", "curious")],
)
def test_inline_bad_input_is_a_400_and_changes_nothing(client_as, erin, make_map, kind, field, value):
    journey_map = make_map(stages=1, per_stage=1)
    obj = Stage.objects.get(journey_map=journey_map) if kind == "stage" else Touchpoint.objects.get()
    response = client_as(erin).post(
        f"/maps/{journey_map.pk}/{kind}s/{obj.pk}/inline/",
        {"field": field, "value": value, "revision": journey_map.revision},
        **HX,
    )
    assert response.status_code == 400
    assert _fresh(journey_map).revision == journey_map.revision
    assert type(obj).objects.get(pk=obj.pk).name == obj.name


def test_inline_name_too_long_is_a_400_naming_the_limit(client_as, erin, make_map):
    journey_map = make_map(stages=1, per_stage=0)
    stage = Stage.objects.get(journey_map=journey_map)
    response = client_as(erin).post(
        f"/maps/{journey_map.pk}/stages/{stage.pk}/inline/",
        {"field": "name", "value": "x" * 150, "revision": journey_map.revision},
        **HX,
    )
    assert response.status_code == 400
    assert Stage.objects.get(pk=stage.pk).name == "Stage 1"


def test_stale_inline_rename_is_a_409_with_the_saved_board_and_loses_nothing(client_as, erin, alice, make_map):
    journey_map = make_map(stages=1, per_stage=1)
    tp = Touchpoint.objects.get(stage__journey_map=journey_map)
    read_at = journey_map.revision
    services.touchpoint_update(touchpoint=tp, actor=alice, revision=read_at, name="Alice's name")
    response = client_as(erin).post(
        f"/maps/{journey_map.pk}/touchpoints/{tp.pk}/inline/",
        {"field": "name", "value": "Erin's name", "revision": read_at},
        **HX,
    )
    assert response.status_code == 409
    assert b"Alice&#x27;s name" in response.content or b"Alice's name" in response.content
    assert f'data-revision="{read_at + 1}"'.encode() in response.content
    assert Touchpoint.objects.get(pk=tp.pk).name == "Alice's name"
    assert not MapChange.objects.filter(created_by=erin, kind="touchpoint_update").exists()


def test_undo_page_puts_back_the_last_change_and_says_what(client_as, erin, make_map):
    journey_map = make_map(stages=1, per_stage=0)
    stage = Stage.objects.get(journey_map=journey_map)
    services.stage_update(stage=stage, actor=erin, revision=None, name="Discover")
    response = client_as(erin).post(f"/maps/{journey_map.pk}/undo/", {"revision": _fresh(journey_map).revision}, **HX)
    assert response.status_code == 200
    assert "Undone: your change to the stage" in response.headers.get("HX-Trigger", "")
    assert Stage.objects.get(pk=stage.pk).name == "Stage 1"


def test_undo_page_with_nothing_to_undo_is_a_400(client_as, erin, make_map):
    journey_map = make_map(stages=1, per_stage=0)
    MapChange.objects.all().delete()
    response = client_as(erin).post(f"/maps/{journey_map.pk}/undo/", {"revision": journey_map.revision}, **HX)
    assert response.status_code == 400
    assert "Nothing to undo" in response.headers.get("HX-Trigger", "")


def test_undo_page_refused_and_stale_are_409(client_as, erin, alice, make_map):
    journey_map = make_map(stages=1, per_stage=0)
    stage = Stage.objects.get(journey_map=journey_map)
    services.stage_update(stage=stage, actor=erin, revision=None, name="Erin's")
    services.stage_update(stage=stage, actor=alice, revision=None, name="Alice's")
    current = _fresh(journey_map).revision
    refused = client_as(erin).post(f"/maps/{journey_map.pk}/undo/", {"revision": current}, **HX)
    stale = client_as(erin).post(f"/maps/{journey_map.pk}/undo/", {"revision": current - 1}, **HX)
    assert (refused.status_code, stale.status_code) == (409, 409)
    assert Stage.objects.get(pk=stage.pk).name == "Alice's"
    assert _fresh(journey_map).revision == current


@pytest.mark.parametrize("path", ["undo/", "stages/{stage}/inline/", "touchpoints/{tp}/inline/"])
def test_new_pages_viewer_403_outsider_404_get_405(client_as, victor, oscar, erin, make_map, path):
    journey_map = make_map(stages=1, per_stage=1)
    stage = Stage.objects.get(journey_map=journey_map)
    tp = Touchpoint.objects.get(stage=stage)
    url = f"/maps/{journey_map.pk}/" + path.format(stage=stage.pk, tp=tp.pk)
    body = {"field": "name", "value": "Hijacked", "revision": journey_map.revision}
    assert client_as(victor).post(url, body).status_code == 403
    assert client_as(oscar).post(url, body).status_code == 404
    assert client_as(erin).get(url).status_code == 405
    assert _fresh(journey_map).revision == journey_map.revision


# --- API --------------------------------------------------------------------------------------


def test_api_undo_answers_the_change_and_the_new_etag(api_as, erin, make_map):
    journey_map = make_map(stages=2, per_stage=0)
    stage = Stage.objects.filter(journey_map=journey_map).first()
    etag = api_as(erin).get(f"/api/v1/maps/{journey_map.pk}/")["ETag"]
    renamed = api_as(erin).patch(f"/api/v1/stages/{stage.pk}/", {"name": "Discover"}, HTTP_IF_MATCH=etag)
    assert renamed.status_code == 200
    response = api_as(erin).post(f"/api/v1/maps/{journey_map.pk}/undo/", HTTP_IF_MATCH=renamed["ETag"])
    assert response.status_code == 200
    body = response.json()
    assert (body["kind"], body["before"], body["after"]) == ("stage_update", {"name": stage.name}, {"name": "Discover"})
    assert body["undone_at"] is not None and body["created_by"] == "erin"
    assert response["ETag"] == f'"{journey_map.pk}-{_fresh(journey_map).revision}"'
    assert Stage.objects.get(pk=stage.pk).name == stage.name


def test_api_undo_with_a_stale_etag_is_409_and_loses_nothing(api_as, erin, alice, make_map):
    journey_map = make_map(stages=1, per_stage=0)
    stage = Stage.objects.get(journey_map=journey_map)
    services.stage_update(stage=stage, actor=erin, revision=None, name="Erin's")
    etag = f'"{journey_map.pk}-{_fresh(journey_map).revision}"'
    other = Stage.objects.create(journey_map=journey_map, name="Other", position=1)
    services.stage_update(stage=other, actor=alice, revision=None, name="Alice's")
    response = api_as(erin).post(f"/api/v1/maps/{journey_map.pk}/undo/", HTTP_IF_MATCH=etag)
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert _stage_names(journey_map) == ["Erin's", "Alice's"]


def test_api_undo_refused_is_409_naming_the_change(api_as, erin, alice, make_map):
    journey_map = make_map(stages=1, per_stage=0)
    stage = Stage.objects.get(journey_map=journey_map)
    services.stage_update(stage=stage, actor=erin, revision=None, name="Erin's")
    services.stage_update(stage=stage, actor=alice, revision=None, name="Alice's")
    mine = MapChange.objects.get(created_by=erin, kind="stage_update")
    response = api_as(erin).post(f"/api/v1/maps/{journey_map.pk}/undo/")
    assert response.status_code == 409
    assert (response.json()["code"], response.json()["change"]) == ("undo_refused", mine.pk)
    assert Stage.objects.get(pk=stage.pk).name == "Alice's"


def test_api_undo_with_nothing_to_undo_is_400(api_as, erin, make_map):
    journey_map = make_map(stages=1, per_stage=0)
    response = api_as(erin).post(f"/api/v1/maps/{journey_map.pk}/undo/")
    assert response.status_code == 400
    assert "Nothing to undo" in response.json()["detail"]


def test_api_reorder_stages_and_undo_it(api_as, erin, make_map):
    journey_map = make_map(stages=3, per_stage=0)
    ids = list(Stage.objects.filter(journey_map=journey_map).order_by("position").values_list("pk", flat=True))
    etag = api_as(erin).get(f"/api/v1/maps/{journey_map.pk}/")["ETag"]
    response = api_as(erin).post(
        f"/api/v1/maps/{journey_map.pk}/reorder-stages/", {"stages": ids[::-1]}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200
    assert [s["id"] for s in response.json()] == ids[::-1]
    assert [s["position"] for s in response.json()] == [0, 1, 2]
    assert _stage_names(journey_map) == ["Stage 3", "Stage 2", "Stage 1"]
    stale = api_as(erin).post(
        f"/api/v1/maps/{journey_map.pk}/reorder-stages/", {"stages": ids}, format="json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 409
    assert _stage_names(journey_map) == ["Stage 3", "Stage 2", "Stage 1"]
    assert api_as(erin).post(f"/api/v1/maps/{journey_map.pk}/undo/").json()["kind"] == "stages_reorder"
    assert _stage_names(journey_map) == ["Stage 1", "Stage 2", "Stage 3"]


@pytest.mark.parametrize(
    "body", [{"stages": []}, {"stages": ["a"]}, {}, {"stages": [999998, 999999]}, {"stages": "12"}]
)
def test_api_reorder_stages_bad_input_is_400_naming_stages(api_as, erin, make_map, body):
    journey_map = make_map(stages=2, per_stage=0)
    response = api_as(erin).post(f"/api/v1/maps/{journey_map.pk}/reorder-stages/", body, format="json")
    assert response.status_code == 400
    assert "stages" in response.json()["errors"]
    assert _fresh(journey_map).revision == journey_map.revision


def test_api_changes_lists_the_maps_edits_newest_first(api_as, erin, victor, make_map):
    journey_map = make_map(stages=1, per_stage=1, pains=0)
    stage = Stage.objects.get(journey_map=journey_map)
    services.stage_update(stage=stage, actor=erin, revision=None, name="Discover")
    response = api_as(victor).get(f"/api/v1/maps/{journey_map.pk}/changes/")
    assert response.status_code == 200
    kinds = [c["kind"] for c in response.json()["results"]]
    assert kinds == ["stage_update", "touchpoint_create"]


@pytest.mark.parametrize("action", ["undo", "reorder-stages"])
def test_api_new_actions_viewer_403_outsider_404_get_405(api_as, erin, victor, oscar, make_map, action):
    journey_map = make_map(stages=2, per_stage=0)
    ids = list(Stage.objects.filter(journey_map=journey_map).values_list("pk", flat=True))
    url = f"/api/v1/maps/{journey_map.pk}/{action}/"
    assert api_as(victor).post(url, {"stages": ids[::-1]}, format="json").status_code == 403
    assert api_as(oscar).post(url, {"stages": ids[::-1]}, format="json").status_code == 404
    assert api_as(erin).get(url).status_code == 405
    assert _fresh(journey_map).revision == journey_map.revision


def test_api_changes_outsider_404(api_as, oscar, make_map):
    journey_map = make_map(stages=1, per_stage=0)
    assert api_as(oscar).get(f"/api/v1/maps/{journey_map.pk}/changes/").status_code == 404


def test_map_page_offers_editing_in_place_to_editors_only(client_as, erin, victor, make_map):
    journey_map = make_map(stages=1, per_stage=1)
    stage = Stage.objects.get(journey_map=journey_map)
    tp = Touchpoint.objects.get(stage=stage)
    page = client_as(erin).get(f"/maps/{journey_map.pk}/").content.decode()
    assert f'data-inline-url="/maps/{journey_map.pk}/touchpoints/{tp.pk}/inline/"' in page
    assert f'data-inline-url="/maps/{journey_map.pk}/stages/{stage.pk}/inline/"' in page
    assert f'data-undo-url="/maps/{journey_map.pk}/undo/"' in page
    assert "waymark/board-edit.js" in page and 'id="board-help"' in page and 'id="emotion-choices"' in page
    assert 'aria-label="Emotion of Stage 1 touchpoint 1: Curious +1. Change it"' in page
    seen = client_as(victor).get(f"/maps/{journey_map.pk}/").content.decode()
    assert "data-inline-url" not in seen and "board-edit.js" not in seen and "data-board-undo" not in seen
    presenting = client_as(erin).get(f"/maps/{journey_map.pk}/?present=1").content.decode()
    assert "data-inline-url" not in presenting and "board-edit.js" not in presenting


def test_editing_controls_escape_the_names_they_carry(client_as, erin, make_map):
    journey_map = make_map(stages=1, per_stage=1)
    tp = Touchpoint.objects.get(stage__journey_map=journey_map)
    services.touchpoint_update(touchpoint=tp, actor=erin, revision=None, name='<b>x</b> "q"')
    page = client_as(erin).get(f"/maps/{journey_map.pk}/").content.decode()
    assert "<b>x</b>" not in page
    assert 'aria-label="Rename &lt;b&gt;x&lt;/b&gt; &quot;q&quot; here"' in page
    assert 'aria-label="Emotion of &lt;b&gt;x&lt;/b&gt; &quot;q&quot;: Curious +1. Change it"' in page


def test_api_changes_list_costs_the_same_queries_for_many_changes(
    api_as, erin, alice, make_map, django_assert_max_num_queries
):
    journey_map = make_map(stages=1, per_stage=0)
    stage = Stage.objects.get(journey_map=journey_map)
    for i in range(12):
        services.stage_update(stage=stage, actor=erin if i % 2 else alice, revision=None, name=f"Name {i}")
    client = api_as(erin)
    with django_assert_max_num_queries(12):
        response = client.get(f"/api/v1/maps/{journey_map.pk}/changes/")
    assert response.status_code == 200
    assert response.json()["count"] == 12
    assert {c["created_by"] for c in response.json()["results"]} == {"erin", "alice"}
