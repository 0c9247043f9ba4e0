"""Weekly retention over 12 cohorts: ``analytics.retention`` against hand-written SQL, same data.

Run against your own PostgreSQL database (it is migrated and filled once, then reused):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wm_retention .venv/bin/python -m bench.retention \
        --profiles 20000 --events 200000

Prints the median of five runs of each and their ratio (the issue's bar: at most 1.5).
The hand-written SQL is the best set-based form we could write: first-seen per profile by one
GROUP BY over events ⋈ identities, then the activity weeks, joined and counted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import time
from zoneinfo import ZoneInfo

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from analytics.retention import RetentionQuery, retention_table  # noqa: E402
from bench.datagen import copy_rows  # noqa: E402
from customers.models import Event, Identity, Profile, Source  # noqa: E402
from teams.models import Team  # noqa: E402

RIGA = ZoneInfo("Europe/Riga")
TEAM = "bench-retention"
START = dt.date(2026, 1, 5)  # a Monday; 12 cohort weeks, 90 days of events

HAND_SQL = """
WITH firsts AS (
    SELECT i.profile_id, min(e.timestamp) AS entered
    FROM customers_event e JOIN customers_identity i ON i.id = e.identity_id
    WHERE e.team_id = %(team)s
    GROUP BY i.profile_id
), cohort AS (
    SELECT profile_id, entered, date_trunc('week', entered AT TIME ZONE %(tz)s) AS week
    FROM firsts WHERE entered >= %(start)s AND entered < %(end)s
)
SELECT c.week, date_trunc('week', e.timestamp AT TIME ZONE %(tz)s) AS active, count(DISTINCT c.profile_id)
FROM cohort c
JOIN customers_identity i ON i.profile_id = c.profile_id
JOIN customers_event e ON e.identity_id = i.id
WHERE e.team_id = %(team)s AND e.event = %(event)s AND e.timestamp >= c.entered AND e.timestamp < %(horizon)s
GROUP BY 1, 2
"""


# The shop's checkout, in order: the funnel benchmark (bench/funnel.py) walks these five steps.
# Cumulative shares of one draw per event: "Order Completed" keeps the same draws (30 %) as when the
# rest were all "Product Viewed", so the retention table, which reads only it, is unchanged.
FUNNEL_EVENTS = ["Product Viewed", "Product Added", "Checkout Started", "Payment Info Entered", "Order Completed"]
NAME_SHARES = [("Order Completed", 0.3), ("Product Viewed", 0.6), ("Product Added", 0.8), ("Checkout Started", 0.92)]


def event_name(draw: float) -> str:
    """Return the event name for a uniform draw in [0, 1)."""
    return next((name for name, below in NAME_SHARES if draw < below), "Payment Info Entered")


def fill(profiles: int, events: int) -> Team:
    team = Team.objects.filter(name=TEAM).first()
    if (
        team is not None
        and Event.objects.filter(team=team).count() == events
        and Event.objects.filter(team=team, event="Payment Info Entered").exists()
    ):
        return team
    if team is not None:
        team.delete()
    team = Team.objects.create(name=TEAM, slug=TEAM, time_zone="Europe/Riga")
    source = Source.objects.create(team=team, name="bench", prefix=f"b{random.randrange(10**8)}", hashed_key="x")
    now = timezone.now()
    rng = random.Random(1)
    copy_rows(
        "customers_profile",
        ["team_id", "user_id", "traits", "first_seen_at", "last_seen_at", "created_at"],
        ((team.pk, "", "{}", now, now, now) for _ in range(profiles)),
    )
    ids = list(Profile.objects.filter(team=team).values_list("pk", flat=True))
    copy_rows(
        "customers_identity",
        ["team_id", "profile_id", "kind", "value", "created_at"],
        ((team.pk, pk, "anonymous_id", f"a{pk}", now) for pk in ids),
    )
    identities = list(Identity.objects.filter(team=team).values_list("pk", flat=True))
    origin = dt.datetime.combine(START, dt.time(), tzinfo=dt.UTC)
    firsts = {i: origin + dt.timedelta(seconds=rng.randrange(84 * 86400)) for i in identities}

    def rows():
        for n in range(events):
            identity = identities[n % len(identities)]
            at = (
                firsts[identity] + dt.timedelta(seconds=rng.randrange(0, 40 * 86400))
                if n >= len(identities)
                else firsts[identity]
            )
            name = event_name(rng.random())
            yield (team.pk, source.pk, f"m{n}", "track", name, identity, "{}", "{}", "{}", at, now, False, "[]")

    copy_rows(
        "customers_event",
        [
            "team_id",
            "source_id",
            "message_id",
            "type",
            "event",
            "identity_id",
            "properties",
            "traits",
            "context",
            "timestamp",
            "received_at",
            "clock_skew_suspect",
            "flags",
        ],
        rows(),
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_event; ANALYZE customers_identity; ANALYZE customers_profile")
    return team


def median_seconds(run, times: int = 5) -> float:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profiles", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=200_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    team = fill(args.profiles, args.events)
    end = START + dt.timedelta(weeks=12) - dt.timedelta(days=1)
    query = RetentionQuery(
        team=team, start=START, end=end, event="Order Completed", periods=8, today=dt.date(2026, 6, 1)
    )
    ours = median_seconds(lambda: retention_table(query))
    params = {
        "team": team.pk,
        "tz": "Europe/Riga",
        "event": "Order Completed",
        "start": dt.datetime.combine(START, dt.time(), tzinfo=RIGA),
        "end": dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=RIGA),
        "horizon": dt.datetime.combine(START + dt.timedelta(weeks=21), dt.time(), tzinfo=RIGA),
    }

    def hand():
        with connection.cursor() as cursor:
            cursor.execute(HAND_SQL, params)
            cursor.fetchall()

    theirs = median_seconds(hand)
    print(f"profiles={args.profiles} events={args.events}")
    print(f"analytics.retention: {ours:.3f} s   hand-written SQL: {theirs:.3f} s   ratio: {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
