"""Generated customer events for the retention, lifecycle and moments tests.

Rows are written straight to the customers tables (source, profiles, identities, events) so the
same facts can be handed to the plain-Python reference: ``facts`` lists ``(profile id after
merges, name, call type, timestamp)``. The generator covers what the issue names: events inserted
out of order and late (an older event stored last moves its person to an earlier cohort),
identity merges (an identity moved to another profile, the old profile marked merged), events at
local midnight on both sides of the daylight-saving change in Europe/Riga (29 March 2026).
"""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from django.utils import timezone

from customers.models import Event, Identity, Profile, Source

RIGA = ZoneInfo("Europe/Riga")
NAMES = ["Product Viewed", "Order Completed", "Returns Page Viewed", "Referral Sent"]


class World:
    def __init__(self, team, source: Source):
        self.team, self.source = team, source
        self.identities: dict[str, Identity] = {}
        self.rows: list[tuple[str, str, str, dt.datetime]] = []
        self.serial = 0

    def person(self, key: str, **traits) -> Identity:
        profile = Profile.objects.create(team=self.team, traits=traits)
        identity = Identity.objects.create(team=self.team, profile=profile, kind="anonymous_id", value=key)
        self.identities[key] = identity
        return identity

    def event(self, key: str, name: str, at: dt.datetime, kind: str = "track") -> None:
        self.rows.append((key, name, kind, at))

    def store(self, seed: int = 7) -> None:
        """Insert the events in a shuffled order (late and out-of-order arrival)."""
        rows = list(self.rows)
        random.Random(seed).shuffle(rows)
        Event.objects.bulk_create(
            [
                Event(
                    team=self.team,
                    source=self.source,
                    message_id=f"m{self._next()}",
                    type=kind,
                    event=name,
                    anonymous_id=key,
                    identity=self.identities[key],
                    timestamp=at,
                    received_at=timezone.now(),
                )
                for key, name, kind, at in rows
            ]
        )

    def _next(self) -> int:
        self.serial += 1
        return self.serial

    def merge(self, gone_key: str, into_key: str) -> None:
        """Move ``gone_key``'s profile into ``into_key``'s, as customers.identity does."""
        gone = self.identities[gone_key].profile
        into = self.identities[into_key].profile
        Identity.objects.filter(profile=gone).update(profile=into)
        gone.merged_into = into
        gone.save(update_fields=["merged_into"])
        for identity in self.identities.values():
            identity.refresh_from_db()

    def facts(self) -> list[tuple[int, str, str, dt.datetime]]:
        # In UTC: Python subtracts and compares two datetimes of the same zone by wall clock, which
        # is an hour off across a daylight-saving change.
        return [
            (self.identities[key].profile_id, name, kind, at.astimezone(dt.UTC)) for key, name, kind, at in self.rows
        ]


def local(day: dt.date, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=RIGA)


def generated(team, source, *, people: int = 60, seed: int = 11) -> World:
    """A season of events from 2 March to 10 May 2026 around the spring DST change, with merges."""
    rng = random.Random(seed)
    world = World(team, source)
    start = dt.date(2026, 3, 2)
    for i in range(people):
        key = f"p{i}"
        world.person(key, variant="treatment" if i % 2 else "control")
        first = start + dt.timedelta(days=rng.randrange(0, 50))
        world.event(key, "Product Viewed", local(first, rng.randrange(0, 24), rng.randrange(60)), "page")
        for _ in range(rng.randrange(0, 7)):
            day = first + dt.timedelta(days=rng.randrange(0, 40))
            name = rng.choice(NAMES)
            world.event(key, name, local(day, rng.randrange(0, 24), rng.randrange(60)), rng.choice(["track", "page"]))
    # Week boundaries across the change: Sunday 23:30 and Monday 00:00 local, before and after it.
    for key, day, hour, minute in (
        ("p1", dt.date(2026, 3, 29), 23, 30),
        ("p1", dt.date(2026, 3, 30), 0, 0),
        ("p2", dt.date(2026, 3, 22), 23, 59),
        ("p2", dt.date(2026, 3, 23), 0, 0),
        ("p3", dt.date(2026, 3, 29), 3, 30),  # the hour after the clocks went forward
    ):
        world.event(key, "Order Completed", local(day, hour, minute))
    # A late event, older than anything else of p4: p4 moves to an earlier cohort.
    world.event("p4", "Product Viewed", local(dt.date(2026, 3, 1), 12), "page")
    # Identity merges: p5 into p6, p7 into p8 (their events follow the identities).
    world.store(seed)
    world.merge("p5", "p6")
    world.merge("p7", "p8")
    return world
