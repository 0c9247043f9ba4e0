"""The source's live debugger: refusals recorded where the tracking API refuses, trimmed to the last
100 per source, shown on the source's page (polled) and in the API."""

import pytest
from django.urls import reverse

from customers import services
from customers.models import IngestRefusal


def test_a_refused_single_call_is_recorded_with_its_reason(send, source):
    response = send("track", {"anonymousId": "a1", "messageId": "m-1", "properties": {"x": 1}})
    assert response.status_code == 400
    refusal = IngestRefusal.objects.get()
    assert (refusal.source, refusal.team_id) == (source, source.team_id)
    assert (refusal.code, refusal.field, refusal.message_id) == ("missing_event", "event", "m-1")
    assert refusal.message == response.json()["message"]
    assert '"anonymousId": "a1"' in refusal.payload


def test_a_batch_records_each_refused_event_and_not_the_stored_ones(send, source):
    response = send(
        "batch",
        {
            "batch": [
                {"type": "track", "event": "Ok", "anonymousId": "a1"},
                {"type": "track", "anonymousId": "a2", "messageId": "no-name"},
                {"type": "weird", "anonymousId": "a3", "messageId": "bad-type"},
            ]
        },
    )
    assert response.status_code == 200 and response.json()["stored"] == 1
    rows = list(IngestRefusal.objects.order_by("id").values_list("code", "message_id"))
    assert rows == [(r["code"], r["messageId"]) for r in response.json()["refused"]]
    assert rows == [("missing_event", "no-name"), ("invalid_type", "bad-type")]


def test_a_request_refused_whole_is_recorded_once(send, source):
    response = send("batch", {"batch": "nope"})
    assert response.status_code == 400
    refusal = IngestRefusal.objects.get()
    assert (refusal.code, refusal.field) == ("invalid_batch", "batch")


def test_an_unknown_key_records_nothing(send):
    assert send("track", {"anonymousId": "a1"}, key="wk" + "0" * 50).status_code == 401
    assert not IngestRefusal.objects.exists()


def test_only_the_last_100_per_source_are_kept_with_2_kb_of_payload(source, team_a, alice):
    other = services.source_create(team=team_a, actor=alice, name="App")[0]
    services.refusals_record(source=other, received_at=source.created_at, refusals=[{"code": "x", "message": "kept"}])
    for batch in range(3):
        services.refusals_record(
            source=source,
            received_at=source.created_at,
            refusals=[
                {"code": "invalid_event", "message": f"{batch}-{i}", "payload": {"big": "é" * 3000}} for i in range(45)
            ],
        )
    kept = IngestRefusal.objects.filter(source=source)
    assert kept.count() == IngestRefusal.KEEP
    assert kept.order_by("id").first().message == "0-35"  # 135 sent, the first 35 trimmed
    assert max(len(r.payload.encode()) for r in kept) <= IngestRefusal.PAYLOAD_LIMIT
    assert IngestRefusal.objects.filter(source=other).count() == 1  # another source is not trimmed


def test_source_page_shows_refusals_and_events_and_polls(client_as, victor, send, source):
    send("track", {"anonymousId": "a1", "messageId": "m-1"})
    send("track", {"anonymousId": "a1", "event": "Signed Up"})
    client = client_as(victor)
    url = reverse("customers:source_detail", args=[source.pk])
    html = client.get(url).content.decode()
    assert 'hx-trigger="every 5s"' in html
    assert "missing_event" in html and "Signed Up" in html
    partial = client.get(url, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    assert "<html" not in partial.content.decode() and "missing_event" in partial.content.decode()


def test_source_page_access(client_as, oscar, alice, source):
    url = reverse("customers:source_detail", args=[source.pk])
    assert client_as(oscar).get(url).status_code == 404
    assert client_as(alice).post(url).status_code == 405


def test_api_lists_refusals_newest_first(api_as, alice, victor, oscar, send, source):
    send("track", {"anonymousId": "a1", "messageId": "first"})
    send("track", {"event": "E", "messageId": "second"})
    url = f"/api/v1/sources/{source.pk}/refusals/"
    response = api_as(victor).get(url)
    assert response.status_code == 200
    assert [(r["message_id"], r["code"]) for r in response.json()] == [
        ("second", "missing_identifier"),
        ("first", "missing_event"),
    ]
    assert api_as(oscar).get(url).status_code == 404
    assert api_as(victor).post(url, {}, format="json").status_code == 403  # a write, refused before the method
    assert api_as(alice).post(url, {}, format="json").status_code == 405


@pytest.mark.parametrize("model", ["ingestrefusal"])
def test_admin_lists_refusals_read_only(client, send, model):
    from django.contrib.auth import get_user_model

    send("track", {"anonymousId": "a1"})
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw"))
    assert client.get(reverse(f"admin:customers_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:customers_{model}_add")).status_code == 403
