"""Duplicates and merges arriving at once, on PostgreSQL (SQLite serialises writers, so it proves nothing)."""

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from customers.models import Event, Identity, Profile, ProfileMerge
from customers.services import events_ingest

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite serialises writers"),
    pytest.mark.django_db(transaction=True),
]


def run_together(n, work):
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def thread(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=thread, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return results


def test_concurrent_retries_store_each_message_id_once_and_acknowledge_it_once(source):
    batch = [
        {"type": "track", "event": "Order Completed", "userId": f"u{i % 7}", "messageId": f"m{i}"} for i in range(60)
    ]

    def send(i):
        # Each sender posts an overlapping slice, as retrying SDKs do.
        items = batch[(i * 10) % 40 : (i * 10) % 40 + 20]
        return events_ingest(source=source, items=items, received_at=timezone.now())

    results = run_together(8, send)
    unique = {item["messageId"] for i in range(8) for item in batch[(i * 10) % 40 : (i * 10) % 40 + 20]}
    assert Event.objects.count() == len(unique)
    assert sum(r.stored for r in results) == len(unique)
    assert sum(r.stored + r.duplicates for r in results) == 8 * 20
    # Each user id has exactly one identity and one profile.
    assert Identity.objects.filter(kind="user_id").count() == 7
    assert Profile.objects.filter(merged_into__isnull=True).count() == 7


def test_concurrent_identifies_of_one_user_end_in_one_profile(source):
    def identify(i):
        return events_ingest(
            source=source,
            items=[
                {"type": "track", "event": "Viewed", "anonymousId": f"device-{i}", "messageId": f"v{i}"},
                {"type": "identify", "userId": "ana", "anonymousId": f"device-{i}", "messageId": f"i{i}"},
            ],
            received_at=timezone.now(),
        )

    run_together(6, identify)
    live = Profile.objects.filter(merged_into__isnull=True)
    assert live.count() == 1
    profile = live.get()
    assert profile.user_id == "ana"
    assert Identity.objects.filter(profile=profile).count() == 7
    assert Event.objects.filter(identity__profile=profile).count() == 12
    assert not ProfileMerge.objects.filter(status="refused").exists()


def test_concurrent_merges_never_give_a_profile_two_user_ids(source):
    events_ingest(
        source=source,
        items=[{"type": "page", "anonymousId": "kiosk", "messageId": "p"}],
        received_at=timezone.now(),
    )

    def identify(i):
        return events_ingest(
            source=source,
            items=[{"type": "identify", "userId": f"user-{i}", "anonymousId": "kiosk", "messageId": f"i{i}"}],
            received_at=timezone.now(),
        )

    run_together(5, identify)
    kiosk = Identity.objects.get(value="kiosk").profile
    assert Identity.objects.filter(profile=kiosk, kind="user_id").count() == 1
    assert Identity.objects.filter(kind="user_id").count() == 5
    assert ProfileMerge.objects.filter(status="refused").count() == 4
    assert Event.objects.count() == 6
