"""The maps API: ETag and If-Match, 409 on stale writes, versions, diff, restore, import, health."""

import pytest

from journeys import services
from journeys.models import JourneyMap, MapVersion, Stage, Touchpoint

pytestmark = pytest.mark.usefixtures("isolated_registry")


def test_map_read_has_etag_and_nested_draft(api_as, erin, make_map):
    journey_map = make_map(stages=2, per_stage=2)
    response = api_as(erin).get(f"/api/v1/maps/{journey_map.pk}/")
    assert response.status_code == 200
    assert response["ETag"] == f'"{journey_map.pk}-{journey_map.revision}"'
    body = response.json()
    assert [len(s["touchpoints"]) for s in body["stages"]] == [2, 2]
    assert body["stages"][0]["touchpoints"][0]["pain_points"][0]["title"] == "Pain 1"


def test_if_match_write_succeeds_then_stale_etag_gets_409(api_as, erin, alice, make_map):
    journey_map = make_map(stages=1, per_stage=1)
    tp = Touchpoint.objects.get(stage__journey_map=journey_map)
    etag = api_as(erin).get(f"/api/v1/maps/{journey_map.pk}/")["ETag"]

    first = api_as(alice).patch(f"/api/v1/touchpoints/{tp.pk}/", {"name": "Alice"}, HTTP_IF_MATCH=etag)
    assert first.status_code == 200
    assert first["ETag"] == f'"{journey_map.pk}-{journey_map.revision + 1}"'

    second = api_as(erin).patch(f"/api/v1/touchpoints/{tp.pk}/", {"name": "Erin"}, HTTP_IF_MATCH=etag)
    assert second.status_code == 409
    assert second.json()["code"] == "conflict"
    assert second.json()["current_revision"] == journey_map.revision + 1
    tp.refresh_from_db()
    assert tp.name == "Alice"


def test_bad_if_match_is_a_400_naming_the_header(api_as, erin, make_map):
    journey_map = make_map(stages=1, per_stage=0)
    response = api_as(erin).patch(f"/api/v1/maps/{journey_map.pk}/", {"title": "x"}, HTTP_IF_MATCH="banana")
    assert response.status_code == 400
    assert "If-Match" in response.json()["errors"]


def test_create_touchpoint_with_bad_channel_is_400_naming_the_field(api_as, erin, make_map):
    stage = Stage.objects.filter(journey_map=make_map(stages=1, per_stage=0)).get()
    response = api_as(erin).post("/api/v1/touchpoints/", {"stage": stage.pk, "name": "Fax", "channel": "fax"})
    assert response.status_code == 400
    assert "channel" in response.json()["errors"]
    assert not Touchpoint.objects.filter(stage=stage).exists()


def test_touchpoint_patch_of_stage_and_position_moves_it(api_as, erin, make_map):
    journey_map = make_map(stages=2, per_stage=2)
    stages = list(Stage.objects.filter(journey_map=journey_map).order_by("position"))
    tp = Touchpoint.objects.filter(stage=stages[0]).order_by("position").last()
    response = api_as(erin).patch(f"/api/v1/touchpoints/{tp.pk}/", {"stage": stages[1].pk, "position": 0})
    assert response.status_code == 200
    assert Touchpoint.objects.filter(stage=stages[1]).order_by("position").values_list("pk", flat=True).first() == tp.pk


def test_publish_versions_diff_restore_through_the_api(api_as, erin, make_map):
    journey_map = make_map(stages=2, per_stage=1)
    client = api_as(erin)
    assert client.post(f"/api/v1/maps/{journey_map.pk}/publish/", {"note": "v1"}).status_code == 201
    tp = Touchpoint.objects.filter(stage__journey_map=journey_map).first()
    client.patch(f"/api/v1/touchpoints/{tp.pk}/", {"name": "Delivery estimate"})
    published = client.post(f"/api/v1/maps/{journey_map.pk}/publish/", {"note": "v2"})
    assert published.json()["number"] == 2

    versions = client.get(f"/api/v1/maps/{journey_map.pk}/versions/").json()
    assert [v["number"] for v in versions["results"]] == [2, 1]
    detail = client.get(f"/api/v1/maps/{journey_map.pk}/versions/1/").json()
    assert detail["snapshot"]["format_version"] == 1

    diff = client.get(f"/api/v1/maps/{journey_map.pk}/diff/?from=1&to=2").json()
    assert diff["touchpoints"] == [
        {
            "key": str(tp.key),
            "status": "changed",
            "label": "Delivery estimate",
            "moved": False,
            "changes": [{"field": "name", "from": tp.name, "to": "Delivery estimate"}],
            "from": {"stage": str(tp.stage.key), "stage_name": tp.stage.name, "position": 0},
            "to": {"stage": str(tp.stage.key), "stage_name": tp.stage.name, "position": 0},
        }
    ]
    assert client.get(f"/api/v1/maps/{journey_map.pk}/diff/?from=9").status_code == 400

    restored = client.post(f"/api/v1/maps/{journey_map.pk}/versions/1/restore/")
    assert restored.status_code == 200
    tp.refresh_from_db()
    assert tp.name != "Delivery estimate"
    assert client.post(f"/api/v1/maps/{journey_map.pk}/versions/7/restore/").status_code == 404


def test_export_then_import_makes_a_copy_and_a_bad_document_creates_nothing(api_as, erin, team_a, make_map):
    journey_map = make_map(stages=2, per_stage=2)
    client = api_as(erin)
    document = client.get(f"/api/v1/maps/{journey_map.pk}/export/").json()
    created = client.post("/api/v1/maps/import/", {"team": team_a.pk, "title": "Copy", "document": document})
    assert created.status_code == 201
    assert Touchpoint.objects.filter(stage__journey_map_id=created.json()["id"]).count() == 4

    document["stages"][0]["touchpoints"][0]["emotion"] = 7
    before = JourneyMap.objects.count()
    bad = client.post("/api/v1/maps/import/", {"team": team_a.pk, "document": document})
    assert bad.status_code == 400
    assert "stages[0].touchpoints[0].emotion" in bad.json()["detail"]
    assert JourneyMap.objects.count() == before


def test_touchpoints_csv_has_one_row_per_touchpoint(api_as, erin, make_map):
    journey_map = make_map(stages=2, per_stage=3)
    response = api_as(erin).get(f"/api/v1/maps/{journey_map.pk}/touchpoints-csv/")
    assert response.status_code == 200
    lines = response.content.decode().strip().splitlines()
    assert len(lines) == 1 + 6
    assert lines[0].startswith("stage,position,key,touchpoint")


def test_health_endpoint_lists_moments_without_metric(api_as, erin, make_map):
    journey_map = make_map(stages=1, per_stage=1)
    tp = Touchpoint.objects.get(stage__journey_map=journey_map)
    services.touchpoint_update(touchpoint=tp, actor=erin, revision=None, is_moment=True, moment_kind="first_value")
    body = api_as(erin).get(f"/api/v1/maps/{journey_map.pk}/health/").json()
    codes = {i["code"] for i in body["issues"]}
    assert "moments_without_metric" in codes
    assert body["score"] < 100


def test_viewer_key_cannot_publish(key_client, make_map):
    journey_map = make_map()
    response = key_client(scope="read").post(f"/api/v1/maps/{journey_map.pk}/publish/", {})
    assert response.status_code == 403
    assert not MapVersion.objects.filter(journey_map=journey_map).exists()


@pytest.mark.parametrize("size", [(2, 2), (12, 15)])
def test_map_detail_api_queries_do_not_grow_with_the_map(api_as, erin, make_map, django_assert_max_num_queries, size):
    journey_map = make_map(stages=size[0], per_stage=size[1], pains=1)
    client = api_as(erin)
    with django_assert_max_num_queries(12):
        assert client.get(f"/api/v1/maps/{journey_map.pk}/").status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(f"/api/v1/touchpoints/?map={journey_map.pk}").status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get("/api/v1/maps/").status_code == 200


def test_publish_changes_the_etag_and_a_stale_if_match_is_a_409(api_as, erin, make_map):
    journey_map = make_map(stages=2, per_stage=1)
    client = api_as(erin)
    etag = client.get(f"/api/v1/maps/{journey_map.pk}/")["ETag"]
    first = client.post(f"/api/v1/maps/{journey_map.pk}/publish/", {"note": "v1"}, HTTP_IF_MATCH=etag)
    assert first.status_code == 201
    assert first["ETag"] != etag
    assert first["ETag"] == client.get(f"/api/v1/maps/{journey_map.pk}/")["ETag"]
    again = client.post(f"/api/v1/maps/{journey_map.pk}/publish/", {"note": "v2"}, HTTP_IF_MATCH=etag)
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    assert list(MapVersion.objects.filter(journey_map=journey_map).values_list("number", flat=True)) == [1]


def test_publishing_a_draft_identical_to_the_last_version_is_a_400(api_as, erin, make_map):
    journey_map = make_map(stages=2, per_stage=1)
    client = api_as(erin)
    assert client.post(f"/api/v1/maps/{journey_map.pk}/publish/", {"note": "v1"}).status_code == 201
    etag = client.get(f"/api/v1/maps/{journey_map.pk}/")["ETag"]
    same = client.post(f"/api/v1/maps/{journey_map.pk}/publish/", {"note": "again"}, HTTP_IF_MATCH=etag)
    assert same.status_code == 400
    assert same.json()["errors"] == {"non_field_errors": ["Nothing to publish: the draft is the same as version 1."]}
    assert client.get(f"/api/v1/maps/{journey_map.pk}/")["ETag"] == etag
    # A change and its undo leave the draft as it was published: still nothing to publish.
    tp = Touchpoint.objects.filter(stage__journey_map=journey_map).first()
    client.patch(f"/api/v1/touchpoints/{tp.pk}/", {"name": "Renamed"})
    client.patch(f"/api/v1/touchpoints/{tp.pk}/", {"name": tp.name})
    assert client.post(f"/api/v1/maps/{journey_map.pk}/publish/", {}).status_code == 400
    client.patch(f"/api/v1/touchpoints/{tp.pk}/", {"name": "Renamed"})
    assert client.post(f"/api/v1/maps/{journey_map.pk}/publish/", {}).json()["number"] == 2
    assert MapVersion.objects.filter(journey_map=journey_map).count() == 2


def test_create_map_answers_its_etag(api_as, erin, team_a):
    response = api_as(erin).post("/api/v1/maps/", {"team": team_a.pk, "title": "New"})
    assert response.status_code == 201
    journey_map = JourneyMap.objects.get(pk=response.json()["id"])
    assert response["ETag"] == f'"{journey_map.pk}-{journey_map.revision}"'
