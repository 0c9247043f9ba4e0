"""The 5-step event funnel (7-day window per step): ``SqlEngine`` against hand-written SQL run by psql.

Issue #19's bar: at most 1.5x the best hand-written SQL for the same result. The data is the
retention benchmark's (``bench.retention.fill``: the same team, built once, reused by both):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wm_retention10m .venv/bin/python -m bench.funnel \
        --profiles 1000000 --events 10000000

The funnel: Product Viewed -> Product Added -> Checkout Started -> Payment Info Entered -> Order
Completed, ordered, counted per profile, entries over the 90 days from 2026-01-05 (Europe/Riga), each
step within 7 days of the step before (the product's window is per step: docs/analytics.md).

Product side: ``SqlEngine().run(query)``, the whole result (figures per step, time to convert with
its median and histogram, the weeks), timed in this process. Baseline: the hand-written SQL for the
same figures, run by ``psql`` with ``\\timing`` (the time psql reports for the statement). The two
alternate, one of each per round, so load from other work falls on both; the ratio of each round
and the median of the rounds are printed with the load average. The first run of each is checked
equal, figure by figure, and not timed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from analytics.funnels import HISTOGRAM_EDGES, FunnelQuery, SqlEngine, Step, local_midnight  # noqa: E402
from bench.retention import FUNNEL_EVENTS, RIGA, START, fill  # noqa: E402

DAYS = 90
WINDOW = dt.timedelta(days=7)
# From this step on the hand-written SQL probes an index per entry instead of joining: on this data
# about 4 % of the entries reach step 3 and 0.4 % step 4, and EXPLAIN ANALYZE showed each join
# re-reading all of ev (1.2-1.3 s a step at 10 million events) for a few thousand entries.
PROBE_FROM = 4


def funnel_query(team) -> FunnelQuery:
    return FunnelQuery(
        team=team,
        steps=[Step("event", name, name, WINDOW) for name in FUNNEL_EVENTS],
        start=local_midnight(START, RIGA),
        end=local_midnight(START + dt.timedelta(days=DAYS), RIGA),
    )


def _ts(value: dt.datetime) -> str:
    return f"'{value.isoformat()}'::timestamptz"


def hand_sql(query: FunnelQuery) -> str:
    """Return the funnel's figures as one statement written by hand (one JSON value).

    One scan of the team's events of the five names (joined to their identities' profiles), kept
    as a materialised CTE; each profile's first step-1 event in the period; then per step the
    earliest event of that step after the previous one (by time, then id) within the window, by a
    hash join of the survivors with that step's events and DISTINCT ON, or, from ``PROBE_FROM`` on,
    by one probe of the events' (identity, timestamp) index per survivor; the counts, medians,
    histograms and weeks aggregated in the same statement.
    """
    n = len(query.steps)
    upper = query.end + sum((step.window for step in query.steps), dt.timedelta())
    names = ", ".join(f"'{step.ref}'" for step in query.steps)
    case = " ".join(f"WHEN '{step.ref}' THEN {k}" for k, step in enumerate(query.steps, 1))
    ctes = [
        "ev AS MATERIALIZED (SELECT i.profile_id AS pid, e.id, e.timestamp AS ts, "
        f"CASE e.event {case} END AS step FROM customers_event e JOIN customers_identity i ON i.id = e.identity_id "
        f"WHERE e.team_id = {query.team.pk} AND e.timestamp >= {_ts(query.start)} AND e.timestamp <= {_ts(upper)} "
        f"AND e.type IN ('track', 'page', 'screen') AND e.event IN ({names}))",
        "n1 AS MATERIALIZED (SELECT DISTINCT ON (pid) pid, id AS i1, ts AS t1 FROM ev "
        f"WHERE step = 1 AND ts < {_ts(query.end)} ORDER BY pid, ts, id)",
    ]
    for k in range(2, n + 1):
        seconds = int(query.steps[k - 1].window.total_seconds())
        if k >= PROBE_FROM:
            # Few entries are left: one probe of the (identity, timestamp) index each beats a scan of ev.
            ctes.append(
                f"n{k} AS MATERIALIZED (SELECT s.pid, x.id AS i{k}, x.ts AS t{k} FROM n{k - 1} s CROSS JOIN LATERAL "
                "(SELECT e.id, e.timestamp AS ts FROM customers_identity i "
                "JOIN customers_event e ON e.identity_id = i.id "
                f"WHERE i.profile_id = s.pid AND e.team_id = {query.team.pk} AND e.event = '{query.steps[k - 1].ref}' "
                f"AND e.type IN ('track', 'page', 'screen') AND (e.timestamp, e.id) > (s.t{k - 1}, s.i{k - 1}) "
                f"AND e.timestamp <= s.t{k - 1} + interval '{seconds} seconds' AND e.timestamp <= {_ts(upper)} "
                "ORDER BY e.timestamp, e.id LIMIT 1) x)"
            )
            continue
        ctes.append(
            f"n{k} AS MATERIALIZED (SELECT DISTINCT ON (s.pid) s.pid, ev.id AS i{k}, ev.ts AS t{k} "
            f"FROM n{k - 1} s JOIN ev ON ev.pid = s.pid AND ev.step = {k} "
            f"AND (ev.ts, ev.id) > (s.t{k - 1}, s.i{k - 1}) AND ev.ts <= s.t{k - 1} + interval '{seconds} seconds' "
            "ORDER BY s.pid, ev.ts, ev.id)"
        )
    joins = " ".join(f"LEFT JOIN n{k} USING (pid)" for k in range(2, n + 1))
    times = ", ".join(f"t{k}" for k in range(1, n + 1))
    ctes.append(f"f AS MATERIALIZED (SELECT pid, {times} FROM n1 {joins})")
    per_step = []
    for k in range(2, n + 1):
        d = f"extract(epoch FROM t{k} - t{k - 1})"
        bins = ", ".join(
            f"count(*) FILTER (WHERE {d} >= {low}" + (f" AND {d} < {high})" if high is not None else ")")
            for low, high in zip(HISTOGRAM_EDGES, [*HISTOGRAM_EDGES[1:], None], strict=True)
        )
        per_step.append(f"json_build_array(count(t{k}), percentile_cont(0.5) WITHIN GROUP (ORDER BY {d}), {bins})")
    return (
        "WITH "
        + ", ".join(ctes)
        + f" SELECT json_build_array((SELECT json_build_array(count(*), {', '.join(per_step)}) FROM f), "
        "(SELECT json_agg(json_build_array(w, e, c)) FROM (SELECT date_trunc('week', t1 AT TIME ZONE "
        f"'{query.tzinfo}')::date AS w, count(*) AS e, count(t{n}) AS c FROM f GROUP BY 1) weeks))"
    )


def psql_run(sql: str) -> tuple[float, str]:
    """Run ``sql`` in a psql session; return the time psql's ``\\timing`` reports and its output."""
    db = settings.DATABASES["default"]
    script = "\\timing on\nSET jit = off;\n" + sql + ";\n"
    out = subprocess.run(
        [
            *("psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", db["HOST"], "-p", str(db["PORT"] or 5432)),
            *("-U", db["USER"], "-d", db["NAME"]),
        ],
        input=script,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = out.splitlines()
    seconds = float([line for line in lines if line.startswith("Time: ")][-1].split()[1]) / 1000
    value = [line for line in lines if line.startswith("[")][-1]
    return seconds, value


def product_figures(result: dict) -> dict:
    steps = result["steps"]
    return {
        "entries": result["entries"],
        "converted": [step["converted"] for step in steps],
        "timings": [
            [
                step["time_to_convert"]["n"],
                step["time_to_convert"]["median"],
                [b["count"] for b in step["time_to_convert"]["histogram"]],
            ]
            for step in steps[1:]
        ],
        "weeks": {w["week_start"]: [w["entered"], w["converted"]] for w in result["weeks"]},
    }


def hand_figures(value: str) -> dict:
    per_step, weeks = json.loads(value)
    total, *steps = per_step
    return {
        "entries": total,
        "converted": [total, *(s[0] for s in steps)],
        "timings": [[s[0], s[1], s[2:]] for s in steps],
        "weeks": {w: [e, c] for w, e, c in weeks or []},
    }


def same(ours: dict, theirs: dict) -> bool:
    """The figures are equal (medians to a microsecond: one side divides by 1000 before the median)."""
    medians = [t[1] for t in ours["timings"]], [t[1] for t in theirs["timings"]]
    close = all(
        (a is None and b is None) or (a is not None and b is not None and abs(a - b) < 1e-6)
        for a, b in zip(*medians, strict=True)
    )
    strip = [[t[0], t[2]] for t in ours["timings"]], [[t[0], t[2]] for t in theirs["timings"]]
    return (
        close
        and strip[0] == strip[1]
        and ours["entries"] == theirs["entries"]
        and ours["converted"] == theirs["converted"]
        and ours["weeks"] == theirs["weeks"]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profiles", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5, help="rounds of one product run and one psql run")
    parser.add_argument("--show-sql", action="store_true", help="print the hand-written SQL and stop")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    team = fill(args.profiles, args.events)
    query = funnel_query(team)
    sql = hand_sql(query)
    if args.show_sql:
        print(sql)
        return
    engine = SqlEngine()
    print(f"profiles={args.profiles} events={args.events} load={os.getloadavg()[0]:.1f} (checking run)", flush=True)
    ours = product_figures(engine.run(query))
    theirs = hand_figures(psql_run(sql)[1])
    if not same(ours, theirs):
        raise SystemExit(f"different results:\nproduct {ours}\nhand    {theirs}")
    print(f"same result: {ours['entries']} entries, converted per step {ours['converted']}", flush=True)
    product, hand, ratios = [], [], []
    for n in range(1, args.rounds + 1):
        load = os.getloadavg()[0]
        started = time.perf_counter()
        engine.run(query)
        product.append(time.perf_counter() - started)
        hand.append(psql_run(sql)[0])
        ratios.append(product[-1] / hand[-1])
        print(f"round {n}: load {load:.1f}  product {product[-1]:.2f} s  psql {hand[-1]:.2f} s  ratio {ratios[-1]:.2f}")
    print(
        f"median of {args.rounds} rounds: SqlEngine {statistics.median(product):.2f} s   hand-written SQL (psql) "
        f"{statistics.median(hand):.2f} s   ratio of medians {statistics.median(product) / statistics.median(hand):.2f}"
        f"   median of the rounds' ratios {statistics.median(ratios):.2f}   load {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
