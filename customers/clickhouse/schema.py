"""The ClickHouse schema: events, and the identity → profile map, single node or on a cluster.

- ``events``: a ``ReplacingMergeTree`` whose sorting key ends in the source's ``messageId``, so a
  batch shipped twice collapses to one row at merge time; queries read it with ``FINAL`` and keep
  one row per event id, so they are right before the merges run too. Ordered by (team, profile,
  time) so a person's events are adjacent, partitioned by month, the JSON columns compressed with
  ZSTD, and a TTL from the team's retention period carried on each row.
- ``identities``: the identity → profile map. A merge re-ships the moved identities with a newer
  version (``argMax(profile_id, version)`` reads the latest), so events are never rewritten.
- On a cluster: ``ON CLUSTER`` DDL, ``Replicated*`` local tables (``events_local`` one per shard,
  ``identities`` complete on every node so each shard resolves people locally) and a
  ``Distributed`` ``events`` table sharded by profile.

``statements`` is idempotent (``IF NOT EXISTS`` everywhere, columns added one by one), so the same
command creates the schema and migrates it when a column is added here.
"""

from __future__ import annotations

EVENT_COLUMNS = [
    ("team_id", "UInt64"),
    ("profile_id", "UInt64"),  # the profile when shipped: locality and sharding, never for counting
    ("identity_id", "UInt64"),
    ("id", "UInt64"),  # the PostgreSQL event id: ties at the same instant break by it, as there
    ("source_id", "UInt64"),
    ("message_id", "String"),
    ("type", "LowCardinality(String)"),
    ("event", "LowCardinality(String)"),
    ("path", "String CODEC(ZSTD(3))"),
    # Microseconds, as PostgreSQL keeps them: events of the same millisecond keep their order.
    ("timestamp", "DateTime64(6, 'UTC') CODEC(Delta, ZSTD(1))"),
    ("received_at", "DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1))"),
    ("properties", "String CODEC(ZSTD(3))"),
    ("context", "String CODEC(ZSTD(3))"),
    ("retention_days", "UInt16"),  # 0: kept until erased
    ("version", "UInt64"),
]
IDENTITY_COLUMNS = [
    ("team_id", "UInt64"),
    ("identity_id", "UInt64"),
    ("profile_id", "UInt64"),
    ("version", "UInt64"),
]
EVENT_ORDER = "(team_id, profile_id, timestamp, source_id, message_id)"
EVENT_TTL = "toDateTime(timestamp) + toIntervalDay(retention_days) DELETE WHERE retention_days > 0"
ZK = "/clickhouse/tables/waymark"


def _columns(columns) -> str:
    return ",\n  ".join(f"{name} {kind}" for name, kind in columns)


def statements(database: str = "waymark", cluster: str = "") -> list[str]:
    """Return the DDL that creates (or brings up to date) the schema, in order."""
    on = f" ON CLUSTER {cluster}" if cluster else ""
    local = "events_local" if cluster else "events"
    if cluster:
        events_engine = (
            f"ReplicatedReplacingMergeTree('{ZK}/{{shard}}/{database}.events_local', '{{replica}}', version)"
        )
        identity_engine = f"ReplicatedReplacingMergeTree('{ZK}/all/{database}.identities', '{{replica}}', version)"
    else:
        events_engine = "ReplacingMergeTree(version)"
        identity_engine = "ReplacingMergeTree(version)"
    ddl = [
        f"CREATE DATABASE IF NOT EXISTS {database}{on}",
        f"CREATE TABLE IF NOT EXISTS {database}.{local}{on} (\n  {_columns(EVENT_COLUMNS)}\n)\n"
        f"ENGINE = {events_engine}\nPARTITION BY toYYYYMM(timestamp)\nORDER BY {EVENT_ORDER}\nTTL {EVENT_TTL}",
        f"CREATE TABLE IF NOT EXISTS {database}.identities{on} (\n  {_columns(IDENTITY_COLUMNS)}\n)\n"
        f"ENGINE = {identity_engine}\nORDER BY (team_id, identity_id)",
    ]
    if cluster:
        ddl.append(
            f"CREATE TABLE IF NOT EXISTS {database}.events{on} AS {database}.events_local\n"
            f"ENGINE = Distributed({cluster}, {database}, events_local, cityHash64(profile_id))"
        )
    # Migrations: a column added above reaches existing tables (Distributed ones too).
    tables = [local, "events"] if cluster else [local]
    for table in tables:
        for name, kind in EVENT_COLUMNS:
            ddl.append(f"ALTER TABLE {database}.{table}{on} ADD COLUMN IF NOT EXISTS {name} {kind}")
    for name, kind in IDENTITY_COLUMNS:
        ddl.append(f"ALTER TABLE {database}.identities{on} ADD COLUMN IF NOT EXISTS {name} {kind}")
    return ddl


def schema_apply(client, *, cluster: str = "") -> list[str]:
    """Run the DDL on ``client``'s database; return the statements run."""
    ddl = statements(client.database, cluster)
    for statement in ddl:
        client.command(statement)
    return ddl
