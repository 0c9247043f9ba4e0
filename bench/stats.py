"""Benchmark 2: NPS/CSAT/CES statistics over 1,000,000 responses, next to the same figures in raw SQL.

Product side, as an integration sees it, through gunicorn with a team API key:
``GET /api/v1/surveys/<id>/stats/?days=90`` (totals, weekly trend, by stage, by touchpoint,
response rate, themes) and ``GET /api/v1/maps/<id>/stats/?days=365&by=week`` (totals, weekly
trend, by stage, by touchpoint and the week × stage grid, with the stage and touchpoint names).

Baseline: the same figures written by hand as SQL and run by psql with ``\\timing`` (the round
trip psql sees, rows included), each statement of a repetition summed. The hand-written SQL is
the fast way to get them: one pass with GROUPING SETS for all the groupings, plus the small
queries the endpoint also answers (displays and themes for a survey, the stage and touchpoint
names for a map). Both sides: one warm-up, then the median of ``REPEAT`` runs.
"""

from __future__ import annotations

import os
import subprocess
import time
from datetime import datetime, timedelta

from bench.common import DB_NAME, PG_HOST, PG_PORT, PG_USER, HttpClient, gunicorn, log, median, timed
from bench.results import Result, not_available

REPEAT = int(os.environ.get("BENCH_STATS_REPEAT", "7"))
NAME = "2. Statistics (1M responses)"

# The aggregates of feedback.stats.AGGREGATES, written by hand.
AGGREGATES_SQL = """
  count(*) AS n,
  count(*) FILTER (WHERE metric = 'nps') AS nps_n,
  count(*) FILTER (WHERE metric = 'nps' AND score >= 9) AS promoters,
  count(*) FILTER (WHERE metric = 'nps' AND score <= 6) AS detractors,
  count(*) FILTER (WHERE metric = 'csat') AS csat_n,
  count(*) FILTER (WHERE metric = 'csat' AND score >= 4) AS csat_good,
  count(*) FILTER (WHERE metric = 'ces') AS ces_n,
  sum(score) FILTER (WHERE metric = 'ces') AS ces_sum,
  sum(score * score) FILTER (WHERE metric = 'ces') AS ces_sumsq
"""


def psql_script_timings(statements: list[str], *, repeat: int, warmup: int = 1) -> list[float]:
    """Run the statements ``warmup + repeat`` times in one psql session; return each round's total."""
    body = "".join(s.strip().rstrip(";") + ";\n" for s in statements)
    script = "\\timing on\n\\o /dev/null\n" + body * (warmup + repeat)
    out = subprocess.run(
        ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-h", PG_HOST, "-p", str(PG_PORT), "-U", PG_USER, "-d", DB_NAME],
        input=script,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    times = [float(line.split()[1]) / 1000 for line in out.splitlines() if line.startswith("Time: ")]
    per_round = [sum(times[i : i + len(statements)]) for i in range(0, len(times), len(statements))]
    return per_round[warmup:]


def _ts(value: datetime) -> str:
    return f"'{value.isoformat()}'::timestamptz"


def survey_sql(survey_id: int, start: datetime, end: datetime) -> list[str]:
    where = f"survey_id = {int(survey_id)} AND created_at >= {_ts(start)} AND created_at < {_ts(end)}"
    return [
        # totals, weekly trend, by stage and by touchpoint in one pass over the rows
        f"""SELECT date_trunc('week', created_at AT TIME ZONE 'UTC') AS week, stage_id, touchpoint_id, {AGGREGATES_SQL}
            FROM feedback_response WHERE {where} AND score IS NOT NULL
            GROUP BY GROUPING SETS ((), (1), (stage_id), (touchpoint_id))""",
        # every response (scored or not) by channel for the response rate, and the displays
        f"SELECT channel, count(*) FROM feedback_response WHERE {where} GROUP BY channel",
        f"""SELECT count(*) FROM feedback_display WHERE survey_id = {int(survey_id)} AND event = 'shown'
            AND created_at >= {_ts(start)} AND created_at < {_ts(end)}""",
        f"""SELECT t.id, t.name, t.color, count(*) FROM feedback_responsetheme rt
            JOIN feedback_theme t ON t.id = rt.theme_id JOIN feedback_response r ON r.id = rt.response_id
            WHERE r.{where.replace(" AND created_at", " AND r.created_at")}
            GROUP BY t.id, t.name, t.color ORDER BY 4 DESC, 2""",
    ]


def map_sql(
    map_id: int, stage_ids: list[int], start: datetime, end: datetime, *, grouping_sets: bool = False
) -> list[str]:
    """What ``maps/<id>/stats/`` answers: the names, then one pass over the rows.

    The baseline is the one-pass grouping by (week, stage, touchpoint) that every figure of the
    endpoint is a sum of (2,120 groups here), the strictest fair baseline: psql is not asked to add
    them up into the grid, trend, stages, touchpoints and totals, the product is. With
    ``grouping_sets`` psql computes those outputs itself in the same pass (GROUPING SETS); on this
    data PostgreSQL plans that as a sort of every row (its group estimate is a million) and it is
    slower than the plain grouping, so it is only recorded next to the result.
    """
    ids = ",".join(str(int(i)) for i in stage_ids)
    groups = (
        "GROUPING SETS ((1, stage_id), (1), (stage_id), (touchpoint_id), ())"
        if grouping_sets
        else "1, stage_id, touchpoint_id"
    )
    return [
        f"""SELECT s.id, s.name, s.position, t.id, t.name FROM journeys_stage s
            LEFT JOIN journeys_touchpoint t ON t.stage_id = s.id
            WHERE s.journey_map_id = {int(map_id)} ORDER BY s.position, s.id, t.position, t.id""",
        f"""SELECT date_trunc('week', created_at AT TIME ZONE 'UTC') AS week, stage_id, touchpoint_id, {AGGREGATES_SQL}
            FROM feedback_response
            WHERE stage_id IN ({ids}) AND created_at >= {_ts(start)} AND created_at < {_ts(end)}
              AND score IS NOT NULL
            GROUP BY {groups}""",
    ]


def _api_runs(detail: dict, path: str, measure: str) -> list[float] | Result:
    """Time ``GET path`` with the team's API key (``REPEAT`` times); a not-available result on 404."""
    client = HttpClient(headers={"Authorization": f"Bearer {detail['api_key']}", "Accept": "application/json"})
    try:
        status, body, _ = client.request("GET", path)
        if status == 404:
            return not_available(NAME, measure, f"GET {path} is {status}")
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {body[:300]!r}")
        return timed(lambda: client.request("GET", path), repeat=REPEAT)
    finally:
        client.close()


def _survey_api(detail: dict) -> Result:
    from django.utils import timezone

    product = _api_runs(detail, f"/api/v1/surveys/{detail['survey']}/stats/?days=90", "survey, 90 days (API)")
    if isinstance(product, Result):
        return product
    end = timezone.now()
    sql = psql_script_timings(survey_sql(detail["survey"], end - timedelta(days=90), end), repeat=REPEAT)
    return Result(
        NAME,
        "survey, 90 days: API vs psql",
        median(product),
        "s",
        baseline=median(sql),
        baseline_label="psql",
        target=("<=", 1.0),
        target_on="ratio",
        n=REPEAT,
        note=f"GET /api/v1/surveys/<id>/stats/?days=90 over HTTP; median of {REPEAT}",
        extra={"product_runs": product, "sql_runs": sql},
    )


def _map_api(detail: dict) -> Result:
    from django.utils import timezone

    path = f"/api/v1/maps/{detail['map']}/stats/?days=365&by=week"
    product = _api_runs(detail, path, "map, 365 days, week × stage (API)")
    if isinstance(product, Result):
        return product
    end = timezone.now()
    start = end - timedelta(days=365)
    sql = psql_script_timings(map_sql(detail["map"], detail["stages"], start, end), repeat=REPEAT)
    sets = psql_script_timings(map_sql(detail["map"], detail["stages"], start, end, grouping_sets=True), repeat=REPEAT)
    return Result(
        NAME,
        "map, 365 days, week × stage: API vs psql",
        median(product),
        "s",
        baseline=median(sql),
        baseline_label="psql",
        target=("<=", 1.0),
        target_on="ratio",
        n=REPEAT,
        note=(
            f"GET /api/v1/maps/<id>/stats/?days=365&by=week over HTTP; psql: names + one GROUP BY "
            f"(week, stage, touchpoint); with GROUPING SETS for every output {median(sets) * 1000:.0f} ms; "
            f"median of {REPEAT}"
        ),
        extra={"product_runs": product, "sql_runs": sql, "grouping_sets_runs": sets},
    )


def refresh_rollup() -> None:
    """Bring the product's stored daily sums up to date, as its beat task would after the data was
    written (a full build the first time), so the endpoints take their stored path; psql's baseline
    still reads the responses."""
    from feedback import rollup

    started = time.perf_counter()
    found = rollup.rollup_refresh()
    log(f"stats: rollup refreshed in {time.perf_counter() - started:.1f} s ({'built' if found < 0 else found})")


def run(ctx: dict) -> list[Result]:
    detail = ctx["stats"]
    results = []
    refresh_rollup()
    with gunicorn():
        results.append(_survey_api(detail))
        log(f"stats survey: {results[-1].value} s vs psql {results[-1].baseline} s")
        results.append(_map_api(detail))
        log(f"stats map: {results[-1].value} s vs psql {results[-1].baseline} s")
    return results
