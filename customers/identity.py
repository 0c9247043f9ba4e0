"""Identity resolution: which profile an identifier belongs to, and when two profiles are one person.

Guard rails, as in the best identity resolvers: blocked values never reach here (``ingest``), a
profile holds at most one user id (a merge that would join two is refused and recorded, and the
database refuses it too), merges are recorded, and events are never rewritten: a merge moves
identities from one profile to the other and the events follow through them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import Max

from .models import (
    MERGE_REASON_DATABASE,
    MERGE_REASON_TWO_USER_IDS,
    Identity,
    Profile,
    ProfileMerge,
    ProfileStage,
    StageTransition,
    TraitChange,
)
from .persona_assign import persona_assign_for_profiles

logger = logging.getLogger(__name__)

Key = tuple[str, str]  # (kind, value)


_LOAD_FIELDS = ["id", "profile_id", "kind", "value"]


def _load(team_id: int, keys: Iterable[Key]) -> dict[Key, Identity]:
    # Every stored event reads its identities here, so the statement is written once rather than
    # compiled by the ORM per request. On PostgreSQL its text depends only on the kinds present,
    # which lets the server reuse its prepared plan (``= ANY`` takes the whole list as one value).
    by_kind: dict[str, set[str]] = {}
    for kind, value in keys:
        by_kind.setdefault(kind, set()).add(value)
    if not by_kind:
        return {}
    table = Identity._meta.db_table
    params: list = [team_id]
    clauses = []
    postgres = connection.vendor == "postgresql"
    for kind in sorted(by_kind):
        values = sorted(by_kind[kind])
        if postgres:
            clauses.append("(kind = %s AND value = ANY(%s))")
            params += [kind, values]
        else:
            clauses.append(f"(kind = %s AND value IN ({', '.join(['%s'] * len(values))}))")
            params += [kind, *values]
    sql = f"SELECT id, profile_id, kind, value FROM {table} WHERE team_id = %s AND ({' OR '.join(clauses)})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    db = connection.alias
    found = (Identity.from_db(db, _LOAD_FIELDS, row) for row in rows)
    return {(row.kind, row.value): row for row in found}


def identities_load(*, team_id: int, keys: Iterable[Key]) -> dict[Key, Identity]:
    """Return the identities of ``keys`` that exist (one query, grouped by kind)."""
    return _load(team_id, keys)


def identities_ensure(
    *, team_id: int, groups: list[list[Key]], seen_at: datetime
) -> tuple[dict[Key, Identity], set[int]]:
    """Return the identity of every key, creating those never seen; and the ids of new profiles.

    ``groups`` holds the keys of each event: the unknown keys of one event start one profile
    together (an event holds at most one user id). Concurrent requests that create the same key
    agree on one row (the unique constraint; the loser's empty profile is removed).
    """
    keys = {key for group in groups for key in group}
    found = _load(team_id, keys)
    new_groups: list[list[Key]] = []
    claimed: set[Key] = set()
    for group in groups:
        fresh = [key for key in dict.fromkeys(group) if key not in found and key not in claimed]
        if fresh:
            claimed.update(fresh)
            new_groups.append(fresh)
    if not new_groups:
        return found, set()
    profiles = Profile.objects.bulk_create(
        [
            Profile(
                team_id=team_id,
                user_id=next((value for kind, value in group if kind == Identity.Kind.USER_ID), ""),
                first_seen_at=seen_at,
                last_seen_at=seen_at,
            )
            for group in new_groups
        ]
    )
    rows = [
        Identity(team_id=team_id, profile_id=profile.pk, kind=kind, value=value)
        for profile, group in zip(profiles, new_groups, strict=True)
        for kind, value in group
    ]
    # In key order, so two requests inserting overlapping keys wait on each other, never deadlock.
    rows.sort(key=lambda row: (row.kind, row.value))
    Identity.objects.bulk_create(rows, ignore_conflicts=True)
    found = _load(team_id, keys)
    used = {identity.profile_id for identity in found.values()}
    empty = [profile.pk for profile in profiles if profile.pk not in used]
    if empty:
        Profile.objects.filter(pk__in=empty).delete()
    return found, {profile.pk for profile in profiles if profile.pk in used}


def _user_ids(profile_ids: list[int]) -> dict[int, str]:
    rows = Identity.objects.filter(profile_id__in=profile_ids, kind=Identity.Kind.USER_ID)
    return dict(rows.values_list("profile_id", "value"))


def identities_link(
    *,
    team_id: int,
    user_key: Key,
    other_key: Key,
    trigger: str,
    event_id: int | None = None,
    new_profile_ids: frozenset[int] | set[int] = frozenset(),
    persona_pending: set[int] | None = None,
) -> ProfileMerge | None:
    """Make ``other_key`` belong to the person of ``user_key`` (a user id), merging their profiles.

    Refused (and recorded as a refused merge) when the two profiles hold two different user ids:
    two people who shared a device or an email must not become one. A profile created by the same
    request for a key seen for the first time is simply absorbed, without a merge record.

    The kept profile's traits change, so its persona is assigned again: now, or, when the caller
    passes ``persona_pending``, by the caller once for its whole batch (the id is added to the set).
    """
    with transaction.atomic():
        found = _load(team_id, [user_key, other_key])
        if user_key not in found:
            return None
        if other_key not in found:
            # An alias's previousId never seen before: it joins the user's profile as it is.
            Identity.objects.bulk_create(
                [
                    Identity(
                        team_id=team_id, profile_id=found[user_key].profile_id, kind=other_key[0], value=other_key[1]
                    )
                ],
                ignore_conflicts=True,
            )
            found = _load(team_id, [user_key, other_key])
        for _attempt in range(5):
            a, b = found[user_key].profile_id, found[other_key].profile_id
            if a == b:
                return None
            # Lock both in id order (no deadlock between two requests merging the same pair), then
            # look again: a concurrent merge may have moved either identity while we waited.
            locked = list(Profile.objects.select_for_update().filter(pk__in=[a, b]).order_by("pk"))
            found = _load(team_id, [user_key, other_key])
            if len(locked) == 2 and (found[user_key].profile_id, found[other_key].profile_id) == (a, b):
                break
        else:
            logger.warning("could not link %s and %s: their profiles kept changing", user_key, other_key)
            return None
        profiles = {profile.pk: profile for profile in locked}
        user_ids = _user_ids([a, b])
        identifier = f"{other_key[0]}:{other_key[1]}"
        if a in user_ids and b in user_ids and user_ids[a] != user_ids[b]:
            logger.info("refused merging profile %s into %s: two user ids", b, a)
            return ProfileMerge.objects.create(
                team_id=team_id,
                into_profile=profiles[a],
                from_profile=profiles[b],
                status=ProfileMerge.Status.REFUSED,
                trigger=trigger,
                identifier=identifier,
                reason=(MERGE_REASON_TWO_USER_IDS % {"first": user_ids[a], "second": user_ids[b]})[:300],
                event_id=event_id,
            )
        # The older profile stays, so the profile a team already knows keeps its id.
        into, gone = (profiles[a], profiles[b]) if a < b else (profiles[b], profiles[a])
        try:
            with transaction.atomic():
                _merge(into=into, gone=gone, user_id=user_ids.get(a) or user_ids.get(b) or "")
        except IntegrityError:
            logger.warning("merge of profile %s into %s refused by the database", gone.pk, into.pk, exc_info=True)
            return ProfileMerge.objects.create(
                team_id=team_id,
                into_profile=into,
                from_profile=gone,
                status=ProfileMerge.Status.REFUSED,
                trigger=trigger,
                identifier=identifier,
                reason=MERGE_REASON_DATABASE,
                event_id=event_id,
            )
        _persona_later(team_id, into.pk, persona_pending)
        if gone.pk in new_profile_ids:
            gone.delete()
            return None
        return ProfileMerge.objects.create(
            team_id=team_id,
            into_profile=into,
            from_profile=gone,
            status=ProfileMerge.Status.MERGED,
            trigger=trigger,
            identifier=identifier,
            event_id=event_id,
        )


def _merge(*, into: Profile, gone: Profile, user_id: str) -> None:
    """Move everything of ``gone`` to ``into``; events follow their identities unchanged."""
    Identity.objects.filter(profile=gone).update(profile=into)
    # Traits: for a key both hold, the value set later wins; the history of both is kept.
    latest = dict(
        TraitChange.objects.filter(profile__in=[into, gone])
        .values("profile_id", "key")
        .annotate(at=Max("changed_at"))
        .values_list("key", "profile_id")
        .order_by("key", "at")
    )
    traits = {**gone.traits, **into.traits}
    for key in set(gone.traits) & set(into.traits):
        if latest.get(key) == gone.pk:
            traits[key] = gone.traits[key]
    TraitChange.objects.filter(profile=gone).update(profile=into)
    StageTransition.objects.filter(profile=gone).update(profile=into)
    # Current stages: keep, per map, the one entered last.
    for current in ProfileStage.objects.filter(profile=gone):
        mine = ProfileStage.objects.filter(profile=into, journey_map_id=current.journey_map_id).first()
        if mine is None:
            current.profile = into
            current.save(update_fields=["profile"])
        else:
            if current.entered_at > mine.entered_at:
                mine.stage_id, mine.entered_at, mine.transition_id = (
                    current.stage_id,
                    current.entered_at,
                    current.transition_id,
                )
                mine.save(update_fields=["stage", "entered_at", "transition"])
            current.delete()
    into.traits = traits
    into.user_id = user_id
    into.first_seen_at = min(into.first_seen_at, gone.first_seen_at)
    into.last_seen_at = max(into.last_seen_at, gone.last_seen_at)
    into.save(update_fields=["traits", "user_id", "first_seen_at", "last_seen_at"])
    gone.merged_into = into
    gone.traits = {}
    gone.user_id = ""
    gone.persona = None
    gone.save(update_fields=["merged_into", "traits", "user_id", "persona"])


def _persona_later(team_id: int, profile_id: int, pending: set[int] | None) -> None:
    """Assign the profile's persona now, or leave it to the caller's batch (``pending``)."""
    if pending is not None:
        pending.add(profile_id)
    else:
        persona_assign_for_profiles(team_id, [profile_id])


def traits_apply(
    *,
    team_id: int,
    profile_id: int,
    traits: dict,
    at: datetime,
    event_id: int | None = None,
    persona_pending: set[int] | None = None,
) -> int:
    """Record each trait that changed; the profile shows the value set latest. Return the changes.

    When the profile's traits changed its persona is assigned again, in this transaction: now, or
    by the caller for its whole batch when it passes ``persona_pending`` (see ``identities_link``).
    """
    if not traits:
        return 0
    with transaction.atomic():
        profile = Profile.objects.select_for_update().filter(pk=profile_id).first()
        if profile is None:
            return 0
        keys = [str(key)[:200] for key in traits]
        last_at = dict(
            TraitChange.objects.filter(profile=profile, key__in=keys)
            .values("key")
            .annotate(at=Max("changed_at"))
            .values_list("key", "at")
        )
        changes = []
        current = dict(profile.traits)
        for raw_key, value in traits.items():
            key = str(raw_key)[:200]
            if key in current and current[key] == value:
                continue
            changes.append(
                TraitChange(
                    team_id=team_id,
                    profile=profile,
                    key=key,
                    value=value,
                    previous_value=current.get(key),
                    event_id=event_id,
                    changed_at=at,
                )
            )
            # A late event (sent before the last change) goes into the history, not the profile.
            if key not in last_at or at >= last_at[key]:
                current[key] = value
        if changes:
            TraitChange.objects.bulk_create(changes)
            if current != profile.traits:
                profile.traits = current
                profile.save(update_fields=["traits"])
                _persona_later(team_id, profile.pk, persona_pending)
        return len(changes)


def traits_apply_many(
    *, team_id: int, items: list[tuple[int, dict, datetime, int | None]], persona_pending: set[int] | None = None
) -> int:
    """``traits_apply`` for many ``(profile_id, traits, at, event_id)`` at once, in their order.

    The same outcome as calling ``traits_apply`` for each item in turn, in a few statements
    whatever their number: the profiles locked in id order (one query), the time each trait last
    changed (one query), the changes inserted together and each changed profile written once.
    Return the number of changes. The changed profiles' personas are assigned as in ``traits_apply``.
    """
    items = [item for item in items if item[1]]
    if not items:
        return 0
    with transaction.atomic():
        profile_ids = sorted({profile_id for profile_id, *_rest in items})
        profiles = {
            profile.pk: profile
            for profile in Profile.objects.select_for_update().filter(pk__in=profile_ids).order_by("pk")
        }
        wanted = {str(key)[:200] for _pid, traits, _at, _eid in items for key in traits}
        last_at = {
            (profile_id, key): at
            for profile_id, key, at in TraitChange.objects.filter(profile_id__in=list(profiles), key__in=wanted)
            .values("profile_id", "key")
            .annotate(at=Max("changed_at"))
            .values_list("profile_id", "key", "at")
        }
        current = {pk: dict(profile.traits) for pk, profile in profiles.items()}
        changes: list[TraitChange] = []
        changed: set[int] = set()
        for profile_id, traits, at, event_id in items:
            if profile_id not in profiles:
                continue
            mine = current[profile_id]
            for raw_key, value in traits.items():
                key = str(raw_key)[:200]
                if key in mine and mine[key] == value:
                    continue
                changes.append(
                    TraitChange(
                        team_id=team_id,
                        profile_id=profile_id,
                        key=key,
                        value=value,
                        previous_value=mine.get(key),
                        event_id=event_id,
                        changed_at=at,
                    )
                )
                changed.add(profile_id)
                # A late event (sent before the last change) goes into the history, not the profile.
                previous = last_at.get((profile_id, key))
                if previous is None or at >= previous:
                    mine[key] = value
                last_at[(profile_id, key)] = at if previous is None else max(previous, at)
        if changes:
            TraitChange.objects.bulk_create(changes)
            for profile_id in sorted(changed):
                profile = profiles[profile_id]
                profile.traits = current[profile_id]
            Profile.objects.bulk_update([profiles[pk] for pk in sorted(changed)], ["traits"])
            if persona_pending is not None:
                persona_pending.update(changed)
            else:
                persona_assign_for_profiles(team_id, changed)
        return len(changes)
