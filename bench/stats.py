"""Benchmark 2: NPS/CSAT/CES statistics over 1,000,000 responses, next to the same figures in raw SQL.

Product side, as an integration sees it: ``GET /api/v1/surveys/<id>/stats/?days=90`` through
gunicorn with a team API key (totals, weekly trend, by stage, by touchpoint, response rate,
themes). For a map over a year there is no API endpoint, so the product's own functions are
timed in-process: ``feedback.stats.grouped`` by week and by stage over the map's stages.

Baseline: the same figures written by hand as SQL and run by psql with ``\\timing`` (the round
trip psql sees, rows included), each statement of a repetition summed. The hand-written SQL is
the fast way to get them: one pass with GROUPING SETS for all the groupings, plus the two small
queries (displays, themes) the endpoint also answers. Both sides: one warm-up, then the median
of ``REPEAT`` runs.
"""

from __future__ import annotations

import os
import subprocess
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
        # every response (scored or not) for the response rate, and the displays
        f"SELECT count(*) FROM feedback_response WHERE {where}",
        f"""SELECT count(*) FROM feedback_display WHERE survey_id = {int(survey_id)} AND event = 'shown'
            AND created_at >= {_ts(start)} AND created_at < {_ts(end)}""",
        f"""SELECT t.id, t.name, t.color, count(*) FROM feedback_responsetheme rt
            JOIN feedback_theme t ON t.id = rt.theme_id JOIN feedback_response r ON r.id = rt.response_id
            WHERE r.{where.replace(" AND created_at", " AND r.created_at")}
            GROUP BY t.id, t.name, t.color ORDER BY 4 DESC, 2""",
    ]


def map_sql(stage_ids: list[int], start: datetime, end: datetime) -> list[str]:
    ids = ",".join(str(int(i)) for i in stage_ids)
    return [
        f"""SELECT date_trunc('week', created_at AT TIME ZONE 'UTC') AS week, stage_id, {AGGREGATES_SQL}
            FROM feedback_response
            WHERE stage_id IN ({ids}) AND created_at >= {_ts(start)} AND created_at < {_ts(end)}
              AND score IS NOT NULL
            GROUP BY GROUPING SETS ((1), (stage_id))""",
    ]


def map_sql_2d(stage_ids: list[int], start: datetime, end: datetime) -> list[str]:
    ids = ",".join(str(int(i)) for i in stage_ids)
    return [
        f"""SELECT date_trunc('week', created_at AT TIME ZONE 'UTC') AS week, stage_id, {AGGREGATES_SQL}
            FROM feedback_response
            WHERE stage_id IN ({ids}) AND created_at >= {_ts(start)} AND created_at < {_ts(end)}
              AND score IS NOT NULL
            GROUP BY 1, stage_id ORDER BY 1, 2""",
    ]


def _survey_api(detail: dict) -> Result:
    from django.utils import timezone

    client = HttpClient(headers={"Authorization": f"Bearer {detail['api_key']}", "Accept": "application/json"})
    path = f"/api/v1/surveys/{detail['survey']}/stats/?days=90"
    status, body, _ = client.request("GET", path)
    if status == 404:
        return not_available(NAME, "survey, 90 days (API)", f"GET {path} is {status}")
    if status != 200:
        raise RuntimeError(f"GET {path}: {status} {body[:300]!r}")
    product = timed(lambda: client.request("GET", path), repeat=REPEAT)
    client.close()
    end = timezone.now()
    sql = psql_script_timings(survey_sql(detail["survey"], end - timedelta(days=90), end), repeat=REPEAT)
    return Result(
        NAME,
        "survey, 90 days: API vs psql",
        median(product),
        "s",
        baseline=median(sql),
        baseline_label="psql",
        target=("<=", 1.5),
        target_on="ratio",
        n=REPEAT,
        note=f"GET /api/v1/surveys/<id>/stats/?days=90 over HTTP; median of {REPEAT}",
        extra={"product_runs": product, "sql_runs": sql},
    )


def _map_year(detail: dict) -> list[Result]:
    from django.utils import timezone

    from feedback import stats
    from feedback.models import Response

    end = timezone.now()
    start = end - timedelta(days=365)
    stage_ids = detail["stages"]

    def product() -> None:
        responses = Response.objects.filter(stage_id__in=stage_ids, created_at__gte=start, created_at__lt=end)
        stats.grouped(responses, "week")
        stats.grouped(responses, "stage")

    product_runs = timed(product, repeat=REPEAT)
    sql = psql_script_timings(map_sql(stage_ids, start, end), repeat=REPEAT)
    results = [
        Result(
            NAME,
            "map, 365 days, by week + by stage: stats.grouped vs psql",
            median(product_runs),
            "s",
            baseline=median(sql),
            baseline_label="psql",
            target=("<=", 1.5),
            target_on="ratio",
            n=REPEAT,
            note="no map statistics endpoint: feedback.stats.grouped in-process (two queries)",
            extra={"product_runs": product_runs, "sql_runs": sql},
        )
    ]
    sql_2d = psql_script_timings(map_sql_2d(stage_ids, start, end), repeat=REPEAT)
    results.append(
        Result(
            NAME,
            "map, 365 days, week × stage",
            None,
            "s",
            baseline=median(sql_2d),
            baseline_label="psql",
            note="not available: the product has no week × stage grouping (stats.grouped takes one dimension)",
            extra={"sql_runs": sql_2d},
        )
    )
    return results


def run(ctx: dict) -> list[Result]:
    detail = ctx["stats"]
    results = []
    with gunicorn():
        results.append(_survey_api(detail))
    log(f"stats survey: {results[-1].value} s vs psql {results[-1].baseline} s")
    results.extend(_map_year(detail))
    log(f"stats map: {results[-2].value} s vs psql {results[-2].baseline} s")
    return results
