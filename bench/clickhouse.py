"""PostgreSQL against ClickHouse (chdb, one core's worth) on the same events: issue 20's figures.

The events are written once into PostgreSQL (COPY), then copied into ClickHouse from there, so
both engines read the same rows. Measured, each the median of ``--repeat`` runs:

- the 5-step event funnel, the product's whole result (``engine.run``: counts, medians, histograms,
  weeks) on PostgreSQL (``SqlEngine``) and on ClickHouse (``ClickHouseEngine``, counted inside
  ClickHouse), checked identical; the same funnel through ClickHouse's general walk (one search
  per step, what funnels with optional steps or exclusions take), against the single pass; beside
  it ``windowFunnel`` (its own definition, for reference);
- the 12-cohort weekly retention table (``retention_table`` on each engine, checked identical);
- a paths query (3 steps after an event, ``paths_compute`` on each engine, checked identical;
  ``BENCH_CH_PATHS=0`` leaves it out);
- storage per event (PostgreSQL: the event partitions with their indexes and the messageId claim
  table; ClickHouse: the active parts on disk after OPTIMIZE FINAL);
- ingestion: the same rows loaded in bulk into each (COPY against INSERT from the same CSV), and
  the shipping path into ClickHouse (``sync.ship``: reading PostgreSQL, inserting) against the
  PostgreSQL ingestion path (``services.events_ingest``, what ``/v1/batch`` runs per batch, without
  HTTP) in events/s, in the same run.

    BENCH_DB_NAME=wm_ch_bench .venv/bin/python bench/run.py clickhouse        # 1 M events
    BENCH_DB_NAME=wm_ch_bench BENCH_CH_EVENTS=10000000 BENCH_CH_PROFILES=1000000 \\
        .venv/bin/python bench/run.py clickhouse
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import shutil
import statistics
import time

from bench import common
from bench.results import Result

EVENTS = int(os.environ.get("BENCH_CH_EVENTS", "1000000"))
PROFILES = int(os.environ.get("BENCH_CH_PROFILES", str(max(EVENTS // 10, 1))))
REPEAT = int(os.environ.get("BENCH_CH_REPEAT", "3"))
# The paths comparison is the slowest part of the run (PostgreSQL's window functions over every
# event of the period): BENCH_CH_PATHS=0 leaves it out.
PATHS = os.environ.get("BENCH_CH_PATHS", "1") == "1"
TEAM = "bench-clickhouse"
START = dt.date(2026, 1, 5)  # a Monday: 12 weekly cohorts, events over 16 weeks
STEPS = ["Product Viewed", "Product Added", "Checkout Started", "Payment Info Entered", "Order Completed"]
PAGES = ["/", "/products", "/cart", "/help/delivery", "/returns"]
CHDB_PATH = common.DATA / "chdb-bench"


def _median(run, repeat: int = REPEAT) -> tuple[float, object]:
    samples, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), result


def _paired(first, second, repeat: int = REPEAT) -> tuple[float, object, float, object]:
    """Like ``_median`` for two forms of one query, run alternately, so that a shared machine's
    load falls on both alike; returns each one's median and last result."""
    samples: tuple[list, list] = ([], [])
    results = [None, None]
    for _ in range(repeat):
        for index, run in enumerate((first, second)):
            started = time.perf_counter()
            results[index] = run()
            samples[index].append(time.perf_counter() - started)
    return statistics.median(samples[0]), results[0], statistics.median(samples[1]), results[1]


def fill(events: int, profiles: int):
    """Write the events into PostgreSQL (reused when the same size is there); return (team, seconds, rows)."""
    from django.db import connection
    from django.utils import timezone

    from bench.datagen import copy_rows
    from customers.models import Event, Identity, Profile, Source
    from teams.models import Team

    team = Team.objects.filter(slug=TEAM).first()
    if team is not None and Event.objects.filter(team=team).count() == events:
        return team, None
    if team is not None:
        Event.objects.filter(team=team).delete()
        team.delete()
    team = Team.objects.create(name=TEAM, slug=TEAM, time_zone="Europe/Riga")
    source = Source.objects.create(team=team, name="bench", prefix=f"c{random.randrange(10**8)}", hashed_key="x")
    now = timezone.now()
    copy_rows(
        "customers_profile",
        ["team_id", "user_id", "traits", "first_seen_at", "last_seen_at", "created_at"],
        ((team.pk, "", '{"plan": "team"}', now, now, now) for _ in range(profiles)),
    )
    ids = list(Profile.objects.filter(team=team).order_by("pk").values_list("pk", flat=True))
    copy_rows(
        "customers_identity",
        ["team_id", "profile_id", "kind", "value", "created_at"],
        ((team.pk, pk, "anonymous_id", f"a{pk}", now) for pk in ids),
    )
    identities = list(Identity.objects.filter(team=team).order_by("pk").values_list("pk", flat=True))
    rng = random.Random(20)
    origin = dt.datetime.combine(START, dt.time(), tzinfo=dt.UTC)

    def rows():
        # Each person: a first visit in the 12 cohort weeks, then visits over the next weeks; in a
        # visit they go down the funnel, each step with a fall-off, with page views in between.
        written = 0
        per_person = max(events // len(identities), 1)
        for index, identity in enumerate(identities):
            budget = per_person if index < len(identities) - 1 else events - written
            at = origin + dt.timedelta(seconds=rng.randrange(84 * 86400), microseconds=rng.randrange(1000) * 1000)
            made = 0
            while made < budget:
                for step, name in enumerate(STEPS):
                    if made >= budget:
                        break
                    if step and rng.random() < 0.35:
                        break
                    if rng.random() < 0.3 and made + 1 < budget:
                        page = rng.choice(PAGES)
                        yield (team.pk, source.pk, f"m{written + made}", "page", "", page, identity, at, now)
                        made += 1
                        at += dt.timedelta(seconds=rng.randrange(5, 300))
                    yield (team.pk, source.pk, f"m{written + made}", "track", name, "", identity, at, now)
                    made += 1
                    at += dt.timedelta(seconds=rng.choice([20, 120, 900, 3600, 20000, 90000]))
                at += dt.timedelta(days=rng.randrange(1, 12))
            written += made

    started = time.perf_counter()
    with bulk_load(team):
        count = copy_rows(
            "customers_event",
            [
                *["team_id", "source_id", "message_id", "type", "event", "path", "identity_id", "timestamp"],
                *["received_at", "properties", "traits", "context", "clock_skew_suspect", "flags"],
            ],
            ((*r, "{}", "{}", "{}", False, "[]") for r in rows()),
        )
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_event; ANALYZE customers_identity; ANALYZE customers_profile")
    common.log(f"clickhouse bench: {count} events written by COPY in {seconds:.1f} s")
    return team, (seconds, count)


@contextlib.contextmanager
def bulk_load(team):
    """Load the events the way a bulk load into PostgreSQL is done: without the row triggers (the
    messageId claim, the foreign keys' checks) and the secondary indexes, which are rebuilt, and the
    team's claims written, in one pass each afterwards. The rows and indexes end up the same as an
    insert through the triggers would leave them; the time of the rebuild is inside the load's time.
    A row at a time, the claim trigger and five indexes held the load to about 18,000 events/s, so a
    100-million-event run spent hours filling before it measured anything."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    # Names and definitions come from the catalogue, not from input (S608).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = 'customers_event' AND indexdef NOT LIKE 'CREATE UNIQUE%%'"
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
            cursor.execute("SET maintenance_work_mem = '1GB'")
            cursor.execute("ALTER TABLE customers_event_message_id DROP CONSTRAINT customers_event_message_id_pkey")
            cursor.execute(
                "INSERT INTO customers_event_message_id (source_id, message_id) "
                "SELECT source_id, message_id FROM customers_event WHERE team_id = %s",
                [team.pk],
            )
            cursor.execute("ALTER TABLE customers_event_message_id ADD PRIMARY KEY (source_id, message_id)")
            for _, definition in indexes:
                # pg_indexes shows a partitioned table's index as "ON ONLY" the parent, which would
                # build no partition's index: without ONLY, it is built on every partition.
                cursor.execute(definition.replace(" ON ONLY ", " ON ", 1))


def export_csv(team) -> tuple:
    """The team's events and identities as CSV files in the ClickHouse tables' column order."""
    from django.db import connection

    CHDB_PATH.parent.mkdir(parents=True, exist_ok=True)
    events_csv = common.DATA / "ch-events.csv"
    identities_csv = common.DATA / "ch-identities.csv"
    queries = {
        events_csv: (
            "COPY (SELECT e.team_id, i.profile_id, e.identity_id, e.id, e.source_id, e.message_id, e.type, e.event, "
            "e.path, to_char(e.timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), "
            "to_char(e.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), e.properties::text, "
            "e.context::text, 0, 1 FROM customers_event e JOIN customers_identity i ON i.id = e.identity_id "
            f"WHERE e.team_id = {int(team.pk)}) TO STDOUT WITH (FORMAT csv)"
        ),
        identities_csv: (
            f"COPY (SELECT team_id, id, profile_id, 1 FROM customers_identity WHERE team_id = {int(team.pk)}) "
            "TO STDOUT WITH (FORMAT csv)"
        ),
    }
    for path, sql in queries.items():
        with connection.cursor() as cursor, path.open("wb") as out, cursor.cursor.copy(sql) as copy:
            for chunk in copy:
                out.write(chunk)
    return events_csv, identities_csv


def load_clickhouse(client, events_csv, identities_csv) -> float:
    from customers.clickhouse import schema

    schema.schema_apply(client)
    client.command("TRUNCATE TABLE waymark.events")
    client.command("TRUNCATE TABLE waymark.identities")
    columns = ", ".join(f"{name} {kind.split(' CODEC')[0]}" for name, kind in schema.EVENT_COLUMNS).replace("'", "\\'")
    started = time.perf_counter()
    client.command(f"INSERT INTO waymark.events SELECT * FROM file('{events_csv}', 'CSV', '{columns}')")
    seconds = time.perf_counter() - started
    client.command(
        f"INSERT INTO waymark.identities SELECT * FROM file('{identities_csv}', 'CSV', "
        "'team_id UInt64, identity_id UInt64, profile_id UInt64, version UInt64')"
    )
    client.command("OPTIMIZE TABLE waymark.events FINAL")
    return seconds


def storage(client, team) -> tuple[float, float, int]:
    from django.db import connection

    parts = client.query(
        "SELECT sum(rows), sum(bytes_on_disk) FROM system.parts WHERE database = 'waymark' AND table = 'events' "
        "AND active"
    )[0]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(pg_total_relation_size(relid)), 0) FROM pg_partition_tree('customers_event') "
            "WHERE isleaf"
        )
        pg_bytes = cursor.fetchone()[0]
        if not pg_bytes:
            cursor.execute("SELECT pg_total_relation_size('customers_event')")
            pg_bytes = cursor.fetchone()[0]
        cursor.execute("SELECT to_regclass('customers_event_message_id') IS NOT NULL")
        if cursor.fetchone()[0]:
            cursor.execute("SELECT pg_total_relation_size('customers_event_message_id')")
            pg_bytes += cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM customers_event")
        pg_rows = cursor.fetchone()[0]
    return float(pg_bytes) / pg_rows, int(parts[1]) / int(parts[0]), int(parts[0])


def run(context: dict | None = None) -> list[Result]:
    import django

    django.setup()
    from analytics import clickhouse as engine
    from analytics.funnels import FunnelQuery, SqlEngine, Step
    from analytics.paths import PathQuery, paths_compute, result_json
    from analytics.retention import RetentionQuery, retention_table
    from customers import clickhouse
    from customers.clickhouse.client import ChdbClient

    team, written = fill(EVENTS, PROFILES)
    events_csv, identities_csv = export_csv(team)
    shutil.rmtree(CHDB_PATH, ignore_errors=True)
    client = ChdbClient(str(CHDB_PATH), settings="max_threads = 1")
    results: list[Result] = []
    try:
        load_seconds = load_clickhouse(client, events_csv, identities_csv)
        # Written again on every run; at 100 million events they are 13 GB the run no longer needs.
        for path in (events_csv, identities_csv):
            path.unlink(missing_ok=True)
        n = EVENTS
        note = f"{EVENTS} events, {PROFILES} profiles; ClickHouse is chdb with max_threads = 1"
        origin = dt.datetime.combine(START, dt.time(), tzinfo=dt.UTC)
        query = FunnelQuery(
            team=team,
            steps=[Step("event", name, name, dt.timedelta(days=1)) for name in STEPS],
            start=origin,
            end=origin + dt.timedelta(weeks=12),
        )
        ch = engine.ClickHouseEngine(client)
        pg_seconds, pg_result = _median(lambda: SqlEngine().run(query), repeat=max(1, REPEAT - 1))
        # The same funnel through the general walk (one search per step; what every funnel took
        # before the single pass, and what funnels with optional steps or exclusions still take),
        # run alternately with the product's path.
        general = engine.ClickHouseEngine(client)
        general.single_pass = lambda _query: False
        ch_seconds, ch_result, general_seconds, general_result = _paired(
            lambda: ch.run(query), lambda: general.run(query)
        )
        if ch_result != pg_result:
            raise AssertionError("the funnel's result differs between the engines")
        counts = [step["converted"] for step in ch_result["steps"]]
        if general_result != pg_result:
            raise AssertionError("the funnel's result differs through the general walk")
        wf_seconds, levels = _median(lambda: ch.funnel_levels(query, dt.timedelta(days=5)))
        results += [
            Result(
                "clickhouse",
                "5-step funnel, the product's result (s)",
                ch_seconds,
                "s",
                baseline=pg_seconds,
                baseline_label="PostgreSQL SqlEngine",
                target=("<=", 0.1),
                target_on="ratio",
                n=n,
                note=note + f"; identical results, converted per step {counts}",
            ),
            Result(
                "clickhouse",
                "5-step funnel, the general walk (s)",
                general_seconds,
                "s",
                baseline=ch_seconds,
                baseline_label="ClickHouse, single pass (the product's path for this funnel)",
                n=n,
                note="one search per step over each person's array; ratio > 1: the single pass is faster",
            ),
            Result(
                "clickhouse",
                "5-step windowFunnel, 5-day window from step 1 (s)",
                wf_seconds,
                "s",
                baseline=pg_seconds,
                baseline_label="PostgreSQL SqlEngine (per-step windows)",
                n=n,
                note=f"windowFunnel's own definition, not the product's; levels {levels}",
            ),
        ]
        end = START + dt.timedelta(weeks=12) - dt.timedelta(days=1)
        rquery = RetentionQuery(
            team=team, start=START, end=end, event="Order Completed", periods=8, today=dt.date(2026, 6, 1)
        )
        clickhouse.use_client(None)
        pg_r, pg_table = _median(lambda: retention_table(rquery))
        clickhouse.use_client(client)
        ch_r, ch_table = _median(lambda: retention_table(rquery))
        clickhouse.use_client(None)
        if ch_table != pg_table:
            raise AssertionError("the retention tables differ between the engines")
        results.append(
            Result(
                "clickhouse",
                "12-cohort weekly retention (s)",
                ch_r,
                "s",
                baseline=pg_r,
                baseline_label="PostgreSQL retention_table",
                n=n,
                note="identical tables",
            )
        )
        for result in results:
            common.log(f"clickhouse: {result.measure}: {result.value} against {result.baseline} ({result.note})")
        pg_bytes, ch_bytes, ch_rows = storage(client, team)
        results.append(
            Result(
                "clickhouse",
                "storage per event (bytes)",
                ch_bytes,
                "B",
                baseline=pg_bytes,
                baseline_label="PostgreSQL (table, indexes, claim table)",
                target=("<", 200),
                n=ch_rows,
                note="ClickHouse: active parts after OPTIMIZE FINAL; properties and context are small JSON here",
            )
        )
        if written:
            pg_rate = written[1] / written[0]
            results.append(
                Result(
                    "clickhouse",
                    "bulk load (events/s)",
                    n / load_seconds,
                    "events/s",
                    baseline=pg_rate,
                    baseline_label="PostgreSQL COPY, indexes and claims built after (generation included)",
                    target=(">=", 1.0),
                    target_on="ratio",
                    n=n,
                )
            )
        ship = ship_rate(client, team)
        ingest_rate = pg_ingest_rate()
        ship.baseline, ship.baseline_label = ingest_rate, "PostgreSQL ingestion (services.events_ingest)"
        results.append(ship)
        # Last: the slowest measure, so a run stopped during it has every other figure (logged here).
        for result in results:
            common.log(f"clickhouse: {result.measure}: {result.value} against {result.baseline} ({result.note})")
        pquery = PathQuery(
            team=team,
            anchor_kind="event",
            anchor="Product Added",
            steps=3,
            days=140,
            end=origin + dt.timedelta(weeks=20),
        )
        pg_p = ch_p = None
        if PATHS:
            pg_p, pg_paths = _median(lambda: result_json(paths_compute(pquery)), repeat=1)
            clickhouse.use_client(client)
            ch_p, ch_paths = _median(lambda: result_json(paths_compute(pquery)), repeat=1)
            clickhouse.use_client(None)
            if ch_paths != pg_paths:
                raise AssertionError("the paths differ between the engines")
        results.append(
            Result(
                "clickhouse",
                "paths, 3 steps after an event (s)",
                ch_p,
                "s",
                baseline=pg_p,
                baseline_label="PostgreSQL paths_compute",
                n=n,
                note="identical paths" if PATHS else "not measured: BENCH_CH_PATHS=0",
            )
        )
        common.log(f"clickhouse: paths {ch_p} against {pg_p}")
        for result in results:
            common.log(f"clickhouse: {result.measure}: {result.value} against {result.baseline} ({result.note})")
    finally:
        clickhouse.use_client(None)
        client.close()
    return results


def ship_rate(client, team, count: int = 50_000) -> Result:
    """Events/s through the shipping path: PostgreSQL read, JSONEachRow insert, cursor advanced."""
    from customers.clickhouse import sync
    from customers.models import ClickHouseCursor, Event

    first = Event.objects.filter(team=team).order_by("pk").values_list("pk", flat=True).first()
    ClickHouseCursor.objects.update_or_create(name="events", defaults={"position": first - 1})
    ClickHouseCursor.objects.update_or_create(name="identities", defaults={"position": 2**62})
    ClickHouseCursor.objects.update_or_create(name="merges", defaults={"position": 2**62})
    started = time.perf_counter()
    shipped = 0
    while shipped < count:
        done = sync.ship(client, batch_size=10_000, lag=None, batches=1)["events"]
        if not done:
            break
        shipped += done
    seconds = time.perf_counter() - started
    ClickHouseCursor.objects.all().delete()
    return Result(
        "clickhouse",
        "shipping path sync.ship (events/s)",
        shipped / seconds,
        "events/s",
        target=(">=", 1.0),
        target_on="ratio",
        n=shipped,
        note="ClickHouse's ingestion (PostgreSQL read, ClickHouse insert) against PostgreSQL's own",
    )


def pg_ingest_rate(count: int = 20_000, batch: int = 100) -> float:
    """Events/s through PostgreSQL's ingestion path: ``services.events_ingest`` on batches of
    ``batch`` Segment track calls (what ``/v1/batch`` runs per request, without HTTP), in a team of
    its own that is deleted afterwards."""
    from django.utils import timezone

    from customers import services
    from customers.models import Event, Source
    from teams.models import Team

    team = Team.objects.create(name="bench-ch-ingest", slug=f"bench-ch-ingest-{random.randrange(10**8)}")
    source = Source.objects.create(team=team, name="bench", prefix=f"i{random.randrange(10**8)}", hashed_key="x")
    rng = random.Random(5)
    calls = [
        {
            "type": "track",
            "messageId": f"i{index}",
            "anonymousId": f"anon-{rng.randrange(count // 5)}",
            "event": rng.choice(STEPS),
            "timestamp": (dt.datetime(2026, 3, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=index)).isoformat(),
            "properties": {"plan": "team"},
        }
        for index in range(count)
    ]
    started = time.perf_counter()
    for at in range(0, count, batch):
        services.events_ingest(source=source, items=calls[at : at + batch], received_at=timezone.now())
    seconds = time.perf_counter() - started
    stored = Event.objects.filter(team=team).count()
    Event.objects.filter(team=team).delete()
    team.delete()
    common.log(f"clickhouse bench: PostgreSQL ingestion {stored} events in {seconds:.1f} s")
    return stored / seconds


if __name__ == "__main__":
    common.apply_env()
    for result in run():
        print(result.as_dict())
