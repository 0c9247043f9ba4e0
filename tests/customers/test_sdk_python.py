"""segment-analytics-python, unchanged, sends to Waymark by pointing its host at it."""

import pytest
from segment.analytics import Client
from segment.analytics.request import APIError

from customers.models import Event, Identity, Profile


@pytest.fixture
def sdk(live_server, write_key):
    errors = []
    clients = []

    def make(**options):
        client = Client(write_key, host=live_server.url, on_error=lambda exc, batch: errors.append(exc), **options)
        clients.append(client)
        return client

    yield make, errors
    for client in clients:
        if not client.sync_mode:
            client.shutdown()


@pytest.mark.django_db(transaction=True)
def test_sync_track_and_identify_are_stored(sdk, source):
    make, errors = sdk
    client = make(sync_mode=True)
    client.track(user_id="ana", event="Order Completed", properties={"total": 199.5}, anonymous_id="a-ana")
    client.identify(user_id="ana", traits={"plan": "team", "country": "LV"})
    assert errors == []
    track = Event.objects.get(type="track")
    assert (track.event, track.user_id, track.anonymous_id, track.properties) == (
        "Order Completed",
        "ana",
        "a-ana",
        {"total": 199.5},
    )
    assert track.context["library"]["name"] == "analytics-python"
    assert track.sent_at is not None and track.original_timestamp is not None
    profile = Profile.objects.get(user_id="ana")
    assert profile.traits == {"plan": "team", "country": "LV"}
    assert set(Identity.objects.filter(profile=profile).values_list("value", flat=True)) == {"ana", "a-ana"}


@pytest.mark.django_db(transaction=True)
def test_queued_gzip_batches_are_stored_once_each(sdk, source):
    make, errors = sdk
    client = make(gzip=True, upload_size=10)
    for i in range(25):
        client.track(anonymous_id=f"visitor-{i % 5}", event="Page Scrolled", properties={"depth": i})
    client.page(anonymous_id="visitor-0", name="Home", properties={"path": "/"})
    client.group(user_id="ana", group_id="acme", traits={"plan": "team"})
    client.alias(previous_id="visitor-1", user_id="ana")
    client.flush()
    assert errors == []
    assert Event.objects.count() == 28
    assert Event.objects.values("message_id").distinct().count() == 28
    assert Event.objects.filter(type="alias", previous_id="visitor-1", user_id="ana").exists()
    assert Identity.objects.get(value="visitor-1").profile == Profile.objects.get(user_id="ana")


@pytest.mark.django_db(transaction=True)
def test_sdk_sees_a_refusal_as_an_api_error(sdk, source, alice):
    from customers.services import source_revoke

    make, errors = sdk
    source_revoke(source=source, actor=alice)
    client = make(sync_mode=True)
    # In sync mode the SDK raises what the server answered (code and message from the JSON body).
    with pytest.raises(APIError) as error:
        client.track(user_id="ana", event="X")
    assert (error.value.status, error.value.code) == (401, "invalid_write_key")
    assert errors == []
    assert Event.objects.count() == 0
