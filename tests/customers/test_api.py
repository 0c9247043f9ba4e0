"""The customers REST API: sources (key shown once), profiles (search, detail, timeline), events, rules."""

from datetime import timedelta

import pytest
from django.utils import timezone

from customers import services
from customers.models import Event, Source, TrackingRule
from journeys.models import JourneyMap, Stage


@pytest.fixture
def data(source, alice, team_a):
    journey_map = JourneyMap.objects.create(team=team_a, title="Bank loans")
    stage = Stage.objects.create(journey_map=journey_map, name="Application")
    services.tracking_rule_create(actor=alice, stage=stage, event_name="Application Started")
    now = timezone.now()
    services.events_ingest(
        source=source,
        items=[
            {"type": "identify", "userId": "ana", "anonymousId": "a-ana", "traits": {"plan": "team", "country": "LV"}},
            {"type": "track", "event": "Application Started", "userId": "ana", "messageId": "as-1"},
            {"type": "track", "event": "Rates Viewed", "anonymousId": "a-bob", "messageId": "rv-1"},
            {"type": "identify", "userId": "cid", "traits": {"plan": "free"}},
        ],
        received_at=now,
    )
    from customers.stages import events_match

    events_match(event_ids=list(Event.objects.values_list("id", flat=True)))
    return {"map": journey_map, "stage": stage}


def test_create_source_shows_the_key_once(api_as, alice, team_a):
    response = api_as(alice).post("/api/v1/sources/", {"team": team_a.pk, "name": "Website", "kind": "web"})
    assert response.status_code == 201, response.content
    body = response.json()
    key = body["write_key"]
    source = Source.objects.get(pk=body["id"])
    assert source.hashed_key == Source.hash(key) and key not in source.hashed_key
    detail = api_as(alice).get(f"/api/v1/sources/{source.pk}/").json()
    assert "write_key" not in detail
    assert detail["name"] == "Website"


def test_editor_cannot_create_sources(api_as, erin, team_a):
    response = api_as(erin).post("/api/v1/sources/", {"team": team_a.pk, "name": "Website"})
    assert response.status_code == 403
    assert not Source.objects.exists()


def test_revoke_source(api_as, alice, source):
    response = api_as(alice).post(f"/api/v1/sources/{source.pk}/revoke/")
    assert response.status_code == 200
    assert response.json()["is_active"] is False


def test_profiles_list_and_search(api_as, victor, data):
    client = api_as(victor)
    listed = client.get("/api/v1/profiles/").json()
    assert {p["user_id"] for p in listed["results"]} == {"ana", "cid", ""}
    assert [p["user_id"] for p in client.get("/api/v1/profiles/?q=a-ana").json()["results"]] == ["ana"]
    assert [p["user_id"] for p in client.get("/api/v1/profiles/?anonymous_id=a-bob").json()["results"]] == [""]
    assert [p["user_id"] for p in client.get("/api/v1/profiles/?trait=plan:team").json()["results"]] == ["ana"]
    assert {p["user_id"] for p in client.get("/api/v1/profiles/?trait=plan").json()["results"]} == {"ana", "cid"}
    in_stage = client.get(f"/api/v1/profiles/?stage={data['stage'].pk}").json()["results"]
    assert [p["user_id"] for p in in_stage] == ["ana"]
    since = (timezone.now() + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert client.get(f"/api/v1/profiles/?stage={data['stage'].pk}&entered_after={since}").json()["results"] == []


def test_profile_detail_and_timeline(api_as, victor, data):
    client = api_as(victor)
    ana = client.get("/api/v1/profiles/?user_id=ana").json()["results"][0]
    detail = client.get(f"/api/v1/profiles/{ana['id']}/").json()
    assert detail["traits"] == {"plan": "team", "country": "LV"}
    assert {(i["kind"], i["value"]) for i in detail["identities"]} == {("user_id", "ana"), ("anonymous_id", "a-ana")}
    assert [s["stage_name"] for s in detail["stages"]] == ["Application"]
    timeline = client.get(f"/api/v1/profiles/{ana['id']}/timeline/").json()
    assert sorted(item["kind"] for item in timeline) == ["event", "event", "stage"]
    assert client.get(f"/api/v1/profiles/{ana['id']}/timeline/?limit=0").status_code == 400
    assert client.get(f"/api/v1/profiles/{ana['id']}/timeline/?before=soon").status_code == 400


def test_events_query(api_as, victor, data):
    client = api_as(victor)
    rows = client.get("/api/v1/events/?event=Application+Started").json()["results"]
    assert [r["message_id"] for r in rows] == ["as-1"]
    ana = client.get("/api/v1/profiles/?user_id=ana").json()["results"][0]
    rows = client.get(f"/api/v1/events/?profile={ana['id']}").json()["results"]
    assert len(rows) == 2 and {r["profile"] for r in rows} == {ana["id"]}
    assert client.get("/api/v1/events/?type=teleport").status_code == 400
    assert client.get("/api/v1/events/?since=tomorrow").status_code == 400


def test_outsider_sees_no_profiles_or_events(api_as, oscar, data):
    assert api_as(oscar).get("/api/v1/profiles/").json()["results"] == []
    assert api_as(oscar).get("/api/v1/events/").json()["results"] == []


def test_tracking_rules_crud(api_as, erin, victor, data):
    stage = data["stage"]
    payload = {
        "stage": stage.pk,
        "event_type": "page",
        "path_pattern": "/loans/*",
        "conditions": [{"property": "product", "op": "eq", "value": "mortgage"}],
    }
    assert api_as(victor).post("/api/v1/tracking-rules/", payload, format="json").status_code == 403
    response = api_as(erin).post("/api/v1/tracking-rules/", payload, format="json")
    assert response.status_code == 201, response.content
    rule = TrackingRule.objects.get(pk=response.json()["id"])
    assert (rule.journey_map, rule.team_id, rule.conditions[0]["op"]) == (data["map"], stage.journey_map.team_id, "eq")
    response = api_as(erin).patch(f"/api/v1/tracking-rules/{rule.pk}/", {"is_active": False}, format="json")
    assert response.status_code == 200
    bad = api_as(erin).post("/api/v1/tracking-rules/", {"stage": stage.pk}, format="json")
    assert bad.status_code == 400
    assert "event_name" in bad.json()["errors"]
    assert api_as(erin).delete(f"/api/v1/tracking-rules/{rule.pk}/").status_code == 204


def test_rule_on_another_teams_stage_is_400(api_as, oscar, data):
    response = api_as(oscar).post(
        "/api/v1/tracking-rules/", {"stage": data["stage"].pk, "event_name": "X"}, format="json"
    )
    assert response.status_code == 400
    assert "stage" in response.json()["errors"]


def test_tracking_api_answers_503_json_when_storing_fails(send, monkeypatch):
    from django.db import OperationalError

    def fail(**kwargs):
        raise OperationalError("deadlock detected")

    monkeypatch.setattr(services, "events_ingest", fail)
    response = send("track", {"event": "E", "userId": "u1"})
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.json()["code"] == "unavailable"


def test_schema_documents_the_endpoints(api_client):
    schema = api_client.get("/api/schema/?format=json").json()
    for path in (
        "/api/v1/sources/",
        "/api/v1/profiles/",
        "/api/v1/profiles/{id}/timeline/",
        "/api/v1/events/",
        "/api/v1/tracking-rules/",
    ):
        assert path in schema["paths"], path
