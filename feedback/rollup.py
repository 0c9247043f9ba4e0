"""The statistics' stored daily sums: per survey, local day, stage, touchpoint and channel.

``ResponseDay`` holds, for every (survey, day in the zone of ``ResponseRollup.zone``, stage,
touchpoint) with a scored answer, the sums ``stats.AGGREGATES`` computes (counts and sums only, so
they add up exactly); ``ResponseDayChannel`` every response's count per (survey, day, channel), for
the response rate. The survey and map statistics (``stats.window_breakdown``)
read the full days of their window here and the rest from the responses:

- the partial first and last days of the window, and the days not yet stored (today, and any day
  from ``through`` on);
- every response with an id above ``watermark``, whatever its date: answers since the last
  refresh, and past-dated rows however they were written (imports, the API, the demo, tests,
  COPY), with no work added to inserting an answer;
- the (survey, day) pairs marked dirty by the UPDATE and DELETE triggers (migration 0015).

``rollup_refresh`` (the beat task) recomputes from the responses the pairs that changed: dirty
ones, those of the rows between the last watermark and the new one, and the days that became full.
The new watermark is the highest id the previous refresh saw: a transaction inserting below it has
had a whole refresh interval to commit (the one assumption: no transaction writing responses stays
open longer than that). PostgreSQL only; on SQLite the statistics read the responses.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.utils import timezone

from .models import ResponseDay, ResponseDayChannel, ResponseDayDirty, ResponseRollup

# A day is stored once it ended this long ago, so an update that began before it ended (the
# triggers mark only days before the one their transaction began on) has committed or is marked.
SETTLE = timedelta(minutes=30)
LOCK_KEY = 0x57A7_0019

SUMS = ("n", "nps_n", "promoters", "detractors", "csat_n", "csat_good", "ces_n", "ces_sum", "ces_sumsq")
SUMS_SQL = """
  count(*) AS responses,
  count(score) AS n,
  count(score) FILTER (WHERE metric = 'nps') AS nps_n,
  count(score) FILTER (WHERE metric = 'nps' AND score >= 9) AS promoters,
  count(score) FILTER (WHERE metric = 'nps' AND score <= 6) AS detractors,
  count(score) FILTER (WHERE metric = 'csat') AS csat_n,
  count(score) FILTER (WHERE metric = 'csat' AND score >= 4) AS csat_good,
  count(score) FILTER (WHERE metric = 'ces') AS ces_n,
  coalesce(sum(score) FILTER (WHERE metric = 'ces'), 0) AS ces_sum,
  coalesce(sum(score * score) FILTER (WHERE metric = 'ces'), 0) AS ces_sumsq
"""
COLUMNS = ", ".join(SUMS)
TOTALS = ", ".join(f"sum({name})" for name in SUMS)


def available() -> bool:
    return connection.vendor == "postgresql"


def midnight(day: date) -> datetime:
    """Return the start of ``day`` in the current time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _insert_sums(cursor, zone: str, where: str, params: list, join: str = "", join_params: tuple = ()) -> None:
    """Store the sums of the responses matched: one pass, written to both tables. The statistics' sums
    only where something was scored (as their groups of responses), every day's channels."""
    # Only this module's constant fragments are formatted in; every value is a parameter.
    cursor.execute(
        f"""WITH groups AS (
                SELECT r.survey_id, (r.created_at AT TIME ZONE %s)::date AS day, r.stage_id, r.touchpoint_id,
                       r.channel, {SUMS_SQL}
                FROM feedback_response r {join} WHERE {where}
                GROUP BY 1, 2, 3, 4, 5),
            sums AS (
                INSERT INTO feedback_responseday (survey_id, day, stage_id, touchpoint_id, {COLUMNS})
                SELECT survey_id, day, stage_id, touchpoint_id, {TOTALS} FROM groups
                GROUP BY 1, 2, 3, 4 HAVING sum(n) > 0)
            INSERT INTO feedback_responsedaychannel (survey_id, day, channel, responses)
            SELECT survey_id, day, channel, sum(responses) FROM groups GROUP BY 1, 2, 3""",  # noqa: S608
        [zone, *join_params, *params],
    )


@transaction.atomic
def rollup_refresh(*, now: datetime | None = None, full: bool = False) -> int:
    """Bring the stored daily sums up to date (the beat task); return the (survey, day) pairs recomputed
    (-1 after a full rebuild). A change of the time zone rebuilds everything. The system's own
    bookkeeping: no actor."""
    if not available():
        return 0
    zone = timezone.get_current_timezone_name()
    now = now or timezone.now()
    through = timezone.localtime(now - SETTLE).date()
    end = midnight(through)
    with connection.cursor() as cursor:
        # One refresh at a time, including the first (no state row to lock yet).
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        state = ResponseRollup.objects.first()
        cursor.execute("SELECT coalesce(max(id), 0) FROM feedback_response")
        top = cursor.fetchone()[0]
        if state is None or state.zone != zone or full:
            ResponseDay.objects.all().delete()
            ResponseDayChannel.objects.all().delete()
            ResponseDayDirty.objects.all().delete()
            _insert_sums(cursor, zone, "r.id <= %s AND r.created_at < %s", [top, end])
            ResponseRollup.objects.all().delete()
            ResponseRollup.objects.create(zone=zone, through=through, watermark=top, pending=top, refreshed_at=now)
            return -1
        watermark = max(state.pending, state.watermark)
        cursor.execute("DELETE FROM feedback_responsedaydirty RETURNING survey_id, day")
        pairs = {(survey, day) for survey, day in cursor.fetchall() if day < through}
        cursor.execute(
            """SELECT DISTINCT survey_id, (created_at AT TIME ZONE %s)::date FROM feedback_response
               WHERE (id > %s AND id <= %s AND created_at < %s) OR (created_at >= %s AND created_at < %s)""",
            [zone, state.watermark, watermark, end, midnight(state.through), end],
        )
        pairs.update(cursor.fetchall())
        if pairs:
            surveys = [survey for survey, _ in pairs]
            days = [day for _, day in pairs]
            for table in ("feedback_responseday", "feedback_responsedaychannel"):
                cursor.execute(
                    f"""DELETE FROM {table} d USING unnest(%s::bigint[], %s::date[]) AS p (survey_id, day)
                        WHERE d.survey_id = p.survey_id AND d.day = p.day""",  # noqa: S608
                    [surveys, days],
                )
            _insert_sums(
                cursor,
                zone,
                "r.id <= %s",
                [watermark],
                join="""JOIN unnest(%s::bigint[], %s::date[]) AS p (survey_id, day) ON r.survey_id = p.survey_id
                        AND r.created_at >= (p.day::timestamp AT TIME ZONE %s)
                        AND r.created_at < ((p.day + 1)::timestamp AT TIME ZONE %s)""",
                join_params=(surveys, days, zone, zone),
            )
        ResponseRollup.objects.filter(pk=state.pk).update(
            through=max(through, state.through), watermark=watermark, pending=top, refreshed_at=now
        )
    return len(pairs)
