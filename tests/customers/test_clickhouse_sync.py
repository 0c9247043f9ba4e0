"""The ClickHouse schema (single node and cluster form) and the copy into it: cursors, crashes, erasure, retention.

chdb runs the real ClickHouse engine in this process (one session for the module); the
clickhouse-connect transport runs against a real server only where CLICKHOUSE_URL is set.
"""

from __future__ import annotations

import io
import os
import tempfile
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core.management import call_command

from customers import clickhouse, services
from customers.clickhouse import schema, sync
from customers.models import ClickHouseCursor, Event, Identity, PrivacySettings

chdb = pytest.importorskip("chdb", reason="chdb (requirements-dev.txt) runs the ClickHouse SQL in process")
from customers.clickhouse.client import ChdbClient  # noqa: E402 (needs chdb)

RECEIVED = datetime(2026, 12, 1, tzinfo=UTC)
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def chdb_client():
    folder = tempfile.TemporaryDirectory()
    client = ChdbClient(folder.name)
    schema.schema_apply(client)
    yield client
    clickhouse.use_client(None)
    client.close()
    folder.cleanup()


@pytest.fixture
def ch(chdb_client):
    """The module's ClickHouse, emptied for the test (ids are reused after each test's rollback)."""
    chdb_client.command("TRUNCATE TABLE waymark.events")
    chdb_client.command("TRUNCATE TABLE waymark.identities")
    yield chdb_client
    clickhouse.use_client(None)


def _count(client, sql_where: str = "1", final: bool = True) -> int:
    table = "waymark.events FINAL" if final else "waymark.events"
    return client.query(f"SELECT count() FROM {table} WHERE {sql_where}")[0][0]  # noqa: S608 (test constants)


@pytest.fixture
def shop(team_a, alice):
    source = services.source_create(team=team_a, actor=alice, name="Shop")[0]
    items = []
    for person in range(6):
        for step in range(5):
            items.append(
                {
                    "type": "track",
                    "event": f"Step {step}",
                    "messageId": f"m-{person}-{step}",
                    "userId": f"user-{person}",
                    "timestamp": (T0 + timedelta(days=step * 5, minutes=person)).isoformat(),
                    "properties": {"n": step},
                }
            )
    with mock.patch("webhooks.tasks.webhook_deliver.delay"):
        services.events_ingest(source=source, items=items, received_at=RECEIVED)
    return {"team": team_a, "source": source, "stored": Event.objects.filter(team=team_a).count()}


def test_single_node_schema_is_a_replacing_merge_tree_ordered_by_team_profile_time(ch):
    schema.schema_apply(ch)  # a second run changes nothing (it is also the migration)
    create = ch.query("SHOW CREATE TABLE waymark.events")[0][0]
    assert "ENGINE = ReplacingMergeTree(version)" in create
    assert "PARTITION BY toYYYYMM(timestamp)" in create
    assert "ORDER BY (team_id, profile_id, timestamp, source_id, message_id)" in create
    assert "`properties` String CODEC(ZSTD(3))" in create
    assert "TTL toDateTime(timestamp) + toIntervalDay(retention_days) WHERE retention_days > 0" in create
    identities = ch.query("SHOW CREATE TABLE waymark.identities")[0][0]
    assert "ReplacingMergeTree(version)" in identities and "ORDER BY (team_id, identity_id)" in identities


def test_cluster_schema_is_replicated_and_distributed_by_profile_and_parses(ch):
    statements = schema.statements("waymark", "two_by_two")
    assert all(" ON CLUSTER two_by_two" in statement for statement in statements)
    text = "\n".join(statements)
    assert "ReplicatedReplacingMergeTree('/clickhouse/tables/waymark/{shard}/waymark.events_local', '{replica}'" in text
    # The identity map is whole on every node, so each shard resolves people without a network hop.
    assert "ReplicatedReplacingMergeTree('/clickhouse/tables/waymark/all/waymark.identities'" in text
    assert "ENGINE = Distributed(two_by_two, waymark, events_local, cityHash64(profile_id))" in text
    for statement in statements:
        ast = ch.query("EXPLAIN AST " + statement)  # ClickHouse's own parser accepts every statement
        assert ast and ast[0]


def test_schema_command_prints_the_cluster_ddl():
    out = io.StringIO()
    call_command("clickhouse_schema", "--cluster", "prod", "--print", stdout=out)
    assert "CREATE TABLE IF NOT EXISTS waymark.events ON CLUSTER prod AS waymark.events_local" in out.getvalue()


def test_ship_copies_events_identities_and_advances_the_cursors(ch, shop):
    counts = sync.ship(ch, lag=None)
    assert counts["events"] == shop["stored"] == 30
    assert _count(ch) == 30
    assert ClickHouseCursor.objects.get(name="events").position == Event.objects.latest("pk").pk
    assert ClickHouseCursor.objects.get(name="identities").position == Identity.objects.latest("pk").pk
    assert sync.ship(ch, lag=None) == {"identities": 0, "merges": 0, "events": 0}


def test_a_failed_insert_leaves_the_cursor_so_nothing_is_lost(ch, shop):
    failing = mock.patch.object(ch, "insert_rows", side_effect=ConnectionError("ClickHouse went away"))
    with failing, pytest.raises(ConnectionError):
        sync.ship(ch, lag=None)
    assert not ClickHouseCursor.objects.filter(position__gt=0).exists()
    sync.ship(ch, lag=None)
    assert _count(ch) == 30


def test_a_worker_dying_after_the_insert_ships_again_without_doubling(ch, shop):
    with mock.patch.object(sync, "_advance", side_effect=SystemExit("worker killed")), pytest.raises(SystemExit):
        sync.ship(ch, lag=None)
    assert ClickHouseCursor.objects.filter(name="events", position__gt=0).count() == 0
    sync.ship(ch, lag=None)
    sync.ship(ch, lag=None)
    assert _count(ch, final=False) >= 30  # the copies are there until a merge …
    assert _count(ch) == 30  # … and FINAL reads each event once before it
    ch.command("OPTIMIZE TABLE waymark.events FINAL")
    assert _count(ch, final=False) == 30


def test_events_younger_than_the_lag_wait_for_the_next_run(ch, shop):
    with mock.patch("customers.clickhouse.sync.timezone.now", return_value=RECEIVED - timedelta(seconds=1)):
        assert sync.ship(ch)["events"] == 0
    assert sync.ship(ch)["events"] == 30


def test_erasure_deletes_the_person_in_clickhouse(ch, shop, alice, django_capture_on_commit_callbacks):
    sync.ship(ch, lag=None)
    clickhouse.use_client(ch)
    with django_capture_on_commit_callbacks(execute=True):
        services.profile_erase(actor=alice, team=shop["team"], user_id="user-2")
    assert _count(ch) == 25
    assert Event.objects.filter(team=shop["team"]).count() == 25
    remaining = {row[0] for row in ch.query("SELECT DISTINCT identity_id FROM waymark.identities")}
    assert remaining == set(Identity.objects.filter(team=shop["team"]).values_list("pk", flat=True))


def test_retention_deletes_old_events_in_clickhouse_and_rows_carry_it_for_the_ttl(ch, shop):
    PrivacySettings.objects.update_or_create(team=shop["team"], defaults={"retention_days": 30})
    sync.ship(ch, lag=None)
    assert {row[0] for row in ch.query("SELECT DISTINCT retention_days FROM waymark.events")} == {30}
    # 2026-12-10 minus 30 days: the events of the first two steps (Nov 1 and Nov 6) are older.
    assert sync.retention_apply(ch, now=datetime(2026, 12, 10, tzinfo=UTC)) == 1
    assert _count(ch) == 18


def test_backfill_command_resumes_from_the_cursor(ch, shop):
    ClickHouseCursor.objects.create(name="events", position=Event.objects.order_by("pk")[9].pk)
    clickhouse.use_client(ch)
    out = io.StringIO()
    call_command("clickhouse_backfill", "--batch-size", "7", stdout=out)
    assert _count(ch) == 20  # the first ten were copied before: resumed, not restarted
    assert "Caught up: 20 events copied." in out.getvalue()


def test_ship_task_does_nothing_without_clickhouse(shop):
    from customers.tasks import clickhouse_ship

    assert clickhouse_ship() == {}
    assert not ClickHouseCursor.objects.exists()


@pytest.fixture
def over_http(chdb_client):
    """clickhouse-connect talking HTTP to the module's chdb session (tests/customers/clickhouse_http.py)."""
    from customers.clickhouse.client import HttpClient

    from .clickhouse_http import serve

    server, port = serve(chdb_client.session)
    yield HttpClient.from_url(f"http://127.0.0.1:{port}/waymark?compress=0")
    server.shutdown()


def test_clickhouse_connect_runs_end_to_end_over_http(ch, shop, over_http):
    from analytics.clickhouse import ClickHouseEngine
    from analytics.funnels import FunnelQuery, SqlEngine, Step

    assert sync.ship(over_http, lag=None)["events"] == 30  # inserts through clickhouse-connect
    assert _count(ch) == 30
    query = FunnelQuery(
        team=shop["team"],
        steps=[Step("event", f"Step {k}", f"Step {k}", timedelta(days=6)) for k in range(5)],
        start=T0 - timedelta(days=1),
        end=T0 + timedelta(days=30),
        breakdown="property:n",
    )
    answer = ClickHouseEngine(over_http).run(query)
    assert answer == SqlEngine().run(query) == ClickHouseEngine(ch).run(query)
    assert answer["steps"][-1]["converted"] == 6


@pytest.mark.skipif(not os.environ.get("CLICKHOUSE_URL"), reason="no ClickHouse server here: set CLICKHOUSE_URL")
def test_clickhouse_connect_transport_against_a_real_server():
    from customers.clickhouse.client import HttpClient

    client = HttpClient.from_url(os.environ["CLICKHOUSE_URL"])
    client.database = "waymark_test_transport"
    schema.schema_apply(client)
    client.insert_rows("waymark_test_transport.identities", sync.IDENTITY_NAMES, [[1, 2, 3, 4]])
    assert client.query(
        "SELECT profile_id FROM waymark_test_transport.identities WHERE identity_id = {i:UInt64}", {"i": 2}
    ) == [[3]]
    client.command("DROP DATABASE waymark_test_transport")
