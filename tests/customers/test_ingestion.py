"""The Segment HTTP tracking API at /v1/: what SDKs send is stored once, or refused with a reason."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from customers.models import Event, Profile
from customers.services import source_revoke

NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    ("call", "body", "stored_type"),
    [
        ("track", {"event": "Order Completed", "userId": "u1"}, "track"),
        ("identify", {"userId": "u1", "traits": {"plan": "team"}}, "identify"),
        ("page", {"anonymousId": "a1", "name": "Home", "properties": {"path": "/"}}, "page"),
        ("screen", {"userId": "u1", "name": "Cart"}, "screen"),
        ("group", {"userId": "u1", "groupId": "acme"}, "group"),
        ("alias", {"userId": "u1", "previousId": "a1"}, "alias"),
        ("t", {"event": "Signed Up", "anonymousId": "a1"}, "track"),
        ("i", {"userId": "u1"}, "identify"),
        ("p", {"anonymousId": "a1"}, "page"),
        ("s", {"anonymousId": "a1"}, "screen"),
        ("g", {"anonymousId": "a1", "groupId": "g"}, "group"),
        ("a", {"userId": "u1", "previousId": "u0"}, "alias"),
    ],
)
def test_every_call_and_short_path_stores_its_type(send, source, call, body, stored_type):
    response = send(call, {**body, "messageId": f"m-{call}"})
    assert response.status_code == 200, response.content
    assert response.json() == {"success": True}
    event = Event.objects.get(message_id=f"m-{call}")
    assert event.type == stored_type
    assert event.source == source
    assert event.team_id == source.team_id


def test_track_stores_fields_and_creates_profile(send):
    response = send(
        "track",
        {"event": "Order Completed", "userId": "u1", "messageId": "m1", "properties": {"total": 3.5}},
    )
    assert response.status_code == 200
    event = Event.objects.get()
    assert (event.event, event.user_id, event.properties) == ("Order Completed", "u1", {"total": 3.5})
    assert event.identity.profile == Profile.objects.get(user_id="u1")


def test_write_key_in_body_and_text_plain_as_analytics_js_sends(send):
    response = send(
        "t",
        {"event": "Clicked", "anonymousId": "a1", "messageId": "m1"},
        auth="body",
        content_type="text/plain",
        HTTP_ORIGIN="https://shop.example.com",
    )
    assert response.status_code == 200, response.content
    assert response["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert Event.objects.filter(message_id="m1").exists()


def test_cors_preflight_allows_post_with_authorization(client):
    response = client.options("/v1/batch", HTTP_ORIGIN="https://shop.example.com")
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "Authorization" in response["Access-Control-Allow-Headers"]


@pytest.mark.parametrize(
    ("key", "auth", "code"),
    [
        ("", "basic", "missing_write_key"),
        ("wk0123456789" + "0" * 40, "basic", "invalid_write_key"),
        ("x", "body", "invalid_write_key"),
    ],
)
def test_missing_or_wrong_write_key_is_401_json(send, key, auth, code):
    response = send("track", {"event": "X", "userId": "u1"}, auth=auth, key=key)
    assert response.status_code == 401
    assert response.json()["code"] == code
    assert Event.objects.count() == 0


def test_revoked_source_is_refused(send, source, alice):
    source_revoke(source=source, actor=alice)
    response = send("track", {"event": "X", "userId": "u1"})
    assert response.status_code == 401
    assert Event.objects.count() == 0


def test_gzip_body_is_read(send):
    batch = {"batch": [{"type": "track", "event": "E", "userId": "u1", "messageId": f"m{i}"} for i in range(3)]}
    response = send("batch", batch, gzipped=True)
    assert response.status_code == 200, response.content
    assert response.json()["stored"] == 3
    assert Event.objects.count() == 3


def test_invalid_gzip_and_json_are_400_json(client, send, write_key):
    auth = "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()
    response = client.post(
        "/v1/track", data=b"\x1f\x8bnot gzip", content_type="application/json", HTTP_AUTHORIZATION=auth
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_gzip"
    response = client.post("/v1/track", data=b"{nope", content_type="application/json", HTTP_AUTHORIZATION=auth)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"
    response = client.post("/v1/track", data=b"[1]", content_type="application/json", HTTP_AUTHORIZATION=auth)
    assert response.status_code == 400


def test_single_event_over_32_kb_is_413(send):
    response = send("track", {"event": "Big", "userId": "u1", "properties": {"blob": "x" * (33 * 1024)}})
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert Event.objects.count() == 0


def test_gzipped_event_over_32_kb_unpacked_is_413(send):
    response = send("track", {"event": "Big", "userId": "u1", "properties": {"blob": "x" * (40 * 1024)}}, gzipped=True)
    assert response.status_code == 413
    assert Event.objects.count() == 0


def test_batch_over_500_kb_is_413(send):
    items = [
        {"type": "track", "event": "E", "userId": "u1", "messageId": f"m{i}", "properties": {"b": "x" * 20_000}}
        for i in range(27)
    ]
    response = send("batch", {"batch": items})
    assert response.status_code == 413
    assert Event.objects.count() == 0


def test_batch_stores_valid_events_and_names_refused_ones(send):
    items = [
        {"type": "track", "event": "Ok", "userId": "u1", "messageId": "ok-1"},
        {"type": "track", "userId": "u1", "messageId": "no-name"},
        {"type": "track", "event": "Anon", "userId": "null", "anonymousId": "undefined", "messageId": "blocked"},
        {"type": "teleport", "userId": "u1", "messageId": "bad-type"},
        {"type": "track", "event": "Big", "userId": "u1", "messageId": "big", "properties": {"b": "x" * 33_000}},
        {"type": "track", "event": "When", "userId": "u1", "messageId": "bad-time", "timestamp": "yesterday"},
        "not an object",
        {"type": "page", "anonymousId": "a1", "messageId": "ok-2"},
    ]
    response = send("batch", {"batch": items})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["received"], body["stored"], body["duplicates"], body["success"]) == (8, 2, 0, False)
    refused = {(r["index"], r["code"]) for r in body["refused"]}
    assert refused == {
        (1, "missing_event"),
        (2, "missing_identifier"),
        (3, "invalid_type"),
        (4, "too_large"),
        (5, "invalid_timestamp"),
        (6, "invalid_event"),
    }
    assert next(r for r in body["refused"] if r["index"] == 5)["field"] == "timestamp"
    assert set(Event.objects.values_list("message_id", flat=True)) == {"ok-1", "ok-2"}


def test_batch_with_no_valid_event_is_400(send):
    response = send("batch", {"batch": [{"type": "track", "userId": "u1"}]})
    assert response.status_code == 400
    assert response.json()["refused"][0]["code"] == "missing_event"


def test_single_refused_event_is_400_naming_the_field(send):
    response = send("track", {"userId": "u1"})
    assert response.status_code == 400
    assert response.json()["field"] == "event"
    response = send("identify", {"userId": "0", "anonymousId": "00000000-0000-0000-0000-000000000000"})
    assert response.status_code == 400
    assert response.json()["code"] == "missing_identifier"
    assert Event.objects.count() == 0


def test_batch_outer_context_is_merged_into_each_item(send):
    batch = {
        "context": {"library": {"name": "analytics-python", "version": "2.4.0"}, "locale": "lv-LV"},
        "batch": [
            {"type": "track", "event": "A", "userId": "u1", "messageId": "m1"},
            {"type": "track", "event": "B", "userId": "u1", "messageId": "m2", "context": {"locale": "bg-BG"}},
        ],
    }
    assert send("batch", batch).status_code == 200
    first, second = Event.objects.order_by("message_id")
    assert first.context == {"library": {"name": "analytics-python", "version": "2.4.0"}, "locale": "lv-LV"}
    assert second.context == {"library": {"name": "analytics-python", "version": "2.4.0"}, "locale": "bg-BG"}


@time_machine.travel(NOW, tick=False)
def test_timestamp_is_corrected_for_client_clock_skew(send):
    # The client's clock is 2 hours fast: it says it sent at 14:00 what happened at 13:55.
    client_now = NOW + timedelta(hours=2)
    response = send(
        "track",
        {
            "event": "Skewed",
            "userId": "u1",
            "messageId": "m1",
            "timestamp": iso(client_now - timedelta(minutes=5)),
            "sentAt": iso(client_now),
        },
    )
    assert response.status_code == 200
    event = Event.objects.get()
    assert event.received_at == NOW
    assert event.timestamp == NOW - timedelta(minutes=5)
    assert event.original_timestamp == client_now - timedelta(minutes=5)
    assert event.sent_at == client_now
    assert event.flags == ["clock_skew"]
    assert event.clock_skew_suspect is False


@time_machine.travel(NOW, tick=False)
def test_batch_sent_at_applies_to_items_and_far_times_are_flagged_not_shifted(send):
    future = NOW + timedelta(days=3)
    past = NOW - timedelta(days=3 * 365)
    batch = {
        "sentAt": iso(NOW - timedelta(minutes=1)),
        "batch": [
            {
                "type": "track",
                "event": "A",
                "userId": "u1",
                "messageId": "m1",
                "timestamp": iso(NOW - timedelta(minutes=3)),
            },
            {"type": "track", "event": "Future", "userId": "u1", "messageId": "m2", "timestamp": iso(future)},
            {"type": "track", "event": "Import", "userId": "u1", "messageId": "m3", "timestamp": iso(past)},
        ],
    }
    assert send("batch", batch).status_code == 200
    a, f, p = Event.objects.order_by("message_id")
    # receivedAt − (sentAt − timestamp): the client is a minute slow, so each moves a minute later.
    assert a.timestamp == NOW - timedelta(minutes=2)
    assert (f.timestamp, f.flags, f.clock_skew_suspect) == (future + timedelta(minutes=1), ["timestamp_future"], True)
    assert (p.timestamp, p.flags, p.clock_skew_suspect) == (past + timedelta(minutes=1), ["timestamp_past"], True)


@time_machine.travel(NOW, tick=False)
def test_without_sent_at_the_timestamp_is_used_as_sent_and_without_both_the_receipt(send):
    send("track", {"event": "A", "userId": "u1", "messageId": "m1", "timestamp": "2026-05-31T10:00:00Z"})
    send("track", {"event": "B", "userId": "u1", "messageId": "m2"})
    a, b = Event.objects.order_by("message_id")
    assert a.timestamp == datetime(2026, 5, 31, 10, tzinfo=UTC)
    assert b.timestamp == NOW


def test_retried_message_id_is_stored_once(send):
    body = {"event": "Order Completed", "userId": "u1", "messageId": "retry-me"}
    assert send("track", body).status_code == 200
    assert send("track", body).status_code == 200
    batch = {"batch": [{"type": "track", **body}, {"type": "track", **body, "messageId": "new"}]}
    response = send("batch", batch)
    assert response.json()["stored"] == 1
    assert response.json()["duplicates"] == 1
    assert Event.objects.filter(message_id="retry-me").count() == 1
    assert Event.objects.count() == 2


def test_duplicates_inside_one_batch_store_one_row(send):
    item = {"type": "track", "event": "E", "userId": "u1", "messageId": "same"}
    response = send("batch", {"batch": [item, item, item]})
    assert response.json() == {"success": True, "received": 3, "stored": 1, "duplicates": 2, "refused": []}
    assert Event.objects.count() == 1


def test_same_message_id_from_two_sources_are_two_events(send, team_a, alice, client):
    from customers.services import source_create

    _, other_key = source_create(team=team_a, actor=alice, name="App")
    body = {"event": "E", "userId": "u1", "messageId": "shared"}
    send("track", body)
    send("track", body, key=other_key)
    assert Event.objects.filter(message_id="shared").count() == 2


def test_rate_limit_answers_429_with_retry_after(send, settings):
    settings.CUSTOMERS_SOURCE_RATE_LIMIT = "2/min"
    assert send("track", {"event": "E", "userId": "u1", "messageId": "1"}).status_code == 200
    assert send("track", {"event": "E", "userId": "u1", "messageId": "2"}).status_code == 200
    response = send("track", {"event": "E", "userId": "u1", "messageId": "3"})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 61
    assert response.json()["code"] == "rate_limited"
    assert Event.objects.count() == 2


def test_rate_limit_retry_after_is_readable_across_origins(send, settings):
    # A browser script on the customer's site (waymark-track.js) reads Retry-After only if exposed.
    settings.CUSTOMERS_SOURCE_RATE_LIMIT = "1/min"
    send("track", {"event": "E", "userId": "u1", "messageId": "1"}, HTTP_ORIGIN="https://shop.example.com")
    response = send("track", {"event": "E", "userId": "u1", "messageId": "2"}, HTTP_ORIGIN="https://shop.example.com")
    assert response.status_code == 429
    assert response["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert response["Access-Control-Expose-Headers"] == "Retry-After"


def test_rate_limit_passes_when_the_cache_is_down(send, monkeypatch):
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(cache, "add", down)
    assert send("track", {"event": "E", "userId": "u1", "messageId": "1"}).status_code == 200
    assert Event.objects.count() == 1


def test_wrong_method_and_unknown_path_answer_json(client):
    response = client.get("/v1/track")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    response = client.post("/v1/nothing", data="{}", content_type="application/json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_nul_in_properties_is_refused_not_500(send):
    response = send("track", {"event": "E", "userId": "u1", "properties": {"x": "a\u0000b"}})
    assert response.status_code == 400
    assert response.json()["code"] == "unstorable"


@pytest.mark.parametrize("bad", [{"userId": ["list"]}, {"userId": "u1", "properties": [1]}, {"userId": "u" * 300}])
def test_malformed_fields_are_400(send, bad):
    response = send("track", {"event": "E", **bad})
    assert response.status_code == 400
    assert Event.objects.count() == 0


def test_message_id_is_generated_when_missing(send):
    send("track", {"event": "E", "userId": "u1"})
    send("track", {"event": "E", "userId": "u1"})
    ids = list(Event.objects.values_list("message_id", flat=True))
    assert len(set(ids)) == 2
    assert all(i.startswith("wm-") for i in ids)


def test_source_records_last_event(send, source):
    assert source.last_event_at is None
    send("track", {"event": "E", "userId": "u1"})
    source.refresh_from_db()
    assert source.last_event_at is not None
    assert timezone.now() - source.last_event_at < timedelta(minutes=1)


def test_event_json_size_counts_the_item_not_the_batch(send):
    items = [
        {"type": "track", "event": "E", "userId": "u1", "messageId": f"m{i}", "properties": {"b": "x" * 30_000}}
        for i in range(5)
    ]
    response = send("batch", {"batch": items})
    assert response.status_code == 200
    assert response.json()["stored"] == 5
    assert len(json.dumps(items)) > 32 * 1024


def test_nan_and_infinity_are_refused_before_storing(client, write_key):
    auth = "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()
    body = b'{"event": "E", "userId": "u1", "properties": {"x": NaN}}'
    response = client.post("/v1/track", data=body, content_type="application/json", HTTP_AUTHORIZATION=auth)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"
    assert Event.objects.count() == 0


def test_deeply_nested_json_is_400_not_500(client, write_key):
    auth = "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()
    body = b'{"event": "E", "userId": "u1", "properties": {"x": ' + b"[" * 20000 + b"]" * 20000 + b"}}"
    response = client.post("/v1/track", data=body, content_type="application/json", HTTP_AUTHORIZATION=auth)
    assert response.status_code in (400, 413)
    assert response["Content-Type"] == "application/json"
    # Deeper than MAX_DEPTH (64) yet shallow enough to parse: refused as an event, not as JSON.
    nested = b'{"event": "E", "userId": "u1", "properties": {"x": ' + b"[" * 100 + b"]" * 100 + b"}}"
    response = client.post("/v1/track", data=nested, content_type="application/json", HTTP_AUTHORIZATION=auth)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_event"
    assert Event.objects.count() == 0


@pytest.mark.parametrize(("levels", "status"), [(61, 200), (62, 400)])
def test_nesting_is_refused_just_past_max_depth(send, levels, status):
    # The event is level 1, ``properties`` level 2, its 61 nested lists levels 3–63, and the 1 in the
    # innermost level 64: the deepest allowed (MAX_DEPTH). One list more is refused.
    properties = {"x": 1}
    for _ in range(levels):
        properties = {"x": [properties["x"]]}
    response = send("track", {"event": "E", "userId": "u1", "properties": properties})
    assert response.status_code == status
    assert Event.objects.count() == (1 if status == 200 else 0)


def test_timestamps_too_far_apart_are_refused_not_500(send):
    response = send(
        "track", {"event": "E", "userId": "u1", "timestamp": "9999-12-31T00:00:00Z", "sentAt": "0001-01-02T00:00:00Z"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_timestamp"
