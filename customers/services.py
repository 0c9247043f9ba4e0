"""State-changing operations on sources, tracking rules and events (ingestion)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import DatabaseError, OperationalError, connection, transaction
from django.db.models.sql import InsertQuery
from django.utils import timezone
from django.utils.translation import gettext as _

from journeys.models import JourneyMap, Stage, Touchpoint
from teams.access import require_role
from teams.models import Role, Team

from . import extensions, identity, ingest, partitions, persona_assign
from .models import (
    Erasure,
    Event,
    Identity,
    IngestRefusal,
    PrivacySettings,
    Profile,
    Source,
    TrackingRule,
    TrackingRuleDay,
    erasure_hash,
)

# A keyword argument's default that means "leave as it is" where None is a value (blank retention).
UNCHANGED = object()

logger = logging.getLogger(__name__)

# --- sources ------------------------------------------------------------------------------------


def source_create(*, team: Team, actor, name: str, kind: str = Source.Kind.WEB) -> tuple[Source, str]:
    """Create a source and return it with its write key, which is shown this once only."""
    require_role(actor, team.pk, Role.ADMIN)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the source a name, such as the site or app that sends.")})
    if kind not in Source.Kind.values:
        raise ValidationError({"kind": _("Choose one of %(kinds)s.") % {"kinds": ", ".join(Source.Kind.values)}})
    prefix, raw = Source.generate()
    source = Source.objects.create(
        team=team,
        name=name[:100],
        kind=kind,
        prefix=prefix,
        hashed_key=Source.hash(raw),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    return source, raw


def source_update(*, source: Source, actor, name: str | None = None, kind: str | None = None) -> Source:
    require_role(actor, source.team_id, Role.ADMIN)
    if name is not None:
        name = name.strip()
        if not name:
            raise ValidationError({"name": _("Give the source a name, such as the site or app that sends.")})
        source.name = name[:100]
    if kind is not None:
        if kind not in Source.Kind.values:
            raise ValidationError({"kind": _("Choose one of %(kinds)s.") % {"kinds": ", ".join(Source.Kind.values)}})
        source.kind = kind
    source.save(update_fields=["name", "kind"])
    return source


def source_revoke(*, source: Source, actor) -> Source:
    """Stop accepting events sent with the source's write key (its events stay)."""
    require_role(actor, source.team_id, Role.ADMIN)
    if source.revoked_at is None:
        source.revoked_at = timezone.now()
        source.save(update_fields=["revoked_at"])
    return source


# --- the tracking plan --------------------------------------------------------------------------

CONDITION_OPS = ("eq", "neq", "in", "contains", "exists")


def _clean_rule(rule: TrackingRule) -> None:
    errors = {}
    if rule.touchpoint_id is not None and rule.touchpoint.stage_id != rule.stage_id:
        errors["touchpoint"] = _("The touchpoint must belong to the rule's stage.")
    if rule.stage.journey_map_id != rule.journey_map_id:
        errors["stage"] = _("The stage must belong to the rule's map.")
    if rule.journey_map.team_id != rule.team_id:
        errors["journey_map"] = _("The map must belong to the rule's team.")
    if not (rule.event_name or rule.path_pattern or rule.conditions):
        errors["event_name"] = _("Give an event name, a path pattern or a property condition.")
    if rule.event_type not in TrackingRule.EventType.values:
        errors["event_type"] = _("Choose one of %(types)s.") % {"types": ", ".join(TrackingRule.EventType.values)}
    conditions = rule.conditions
    if not isinstance(conditions, list) or not all(
        isinstance(c, dict)
        and isinstance(c.get("property"), str)
        and c["property"]
        and c.get("op", "eq") in CONDITION_OPS
        and set(c) <= {"property", "op", "value"}
        for c in conditions
    ):
        errors["conditions"] = _('Give a list of {"property": name, "op": one of %(ops)s, "value": value}.') % {
            "ops": ", ".join(CONDITION_OPS)
        }
    if errors:
        raise ValidationError(errors)


def _rollup_rebuild_later(*map_ids: int) -> None:
    """After the commit, recount the maps' overlay roll-up over its longest period (a rule changed)."""
    from .tasks import rollup_rebuild

    def enqueue():
        for map_id in dict.fromkeys(map_ids):
            try:
                rollup_rebuild.delay(map_id)
            except Exception:
                # The broker is down: the overlay keeps counting new events; past ones wait for
                # the next change or `manage.py customers_rollup_rebuild`.
                logger.warning("customers: could not queue the roll-up of map %s", map_id, exc_info=True)

    transaction.on_commit(enqueue)


def tracking_rule_create(
    *,
    actor,
    stage: Stage,
    touchpoint: Touchpoint | None = None,
    event_type: str = TrackingRule.EventType.TRACK,
    event_name: str = "",
    path_pattern: str = "",
    conditions: list | None = None,
    is_active: bool = True,
) -> TrackingRule:
    """Bind a stage's entry (or one of its touchpoints) to the events that mean a customer is there."""
    journey_map: JourneyMap = stage.journey_map
    require_role(actor, journey_map.team_id, Role.EDITOR)
    rule = TrackingRule(
        team_id=journey_map.team_id,
        journey_map=journey_map,
        stage=stage,
        touchpoint=touchpoint,
        event_type=event_type,
        event_name=(event_name or "").strip(),
        path_pattern=(path_pattern or "").strip(),
        conditions=conditions if conditions is not None else [],
        is_active=is_active,
    )
    _clean_rule(rule)
    rule.save()
    _rollup_rebuild_later(rule.journey_map_id)
    return rule


def tracking_rule_update(*, rule: TrackingRule, actor, **changes) -> TrackingRule:
    require_role(actor, rule.team_id, Role.EDITOR)
    before_map_id = rule.journey_map_id
    allowed = {"stage", "touchpoint", "event_type", "event_name", "path_pattern", "conditions", "is_active"}
    for name, value in changes.items():
        if name not in allowed:
            raise ValidationError({name: _("This field cannot be changed.")})
        setattr(rule, name, value.strip() if isinstance(value, str) else value)
    if "stage" in changes:
        rule.journey_map = rule.stage.journey_map
    _clean_rule(rule)
    rule.save()
    _rollup_rebuild_later(before_map_id, rule.journey_map_id)
    return rule


def tracking_rule_delete(*, rule: TrackingRule, actor) -> None:
    require_role(actor, rule.team_id, Role.EDITOR)
    map_id = rule.journey_map_id
    rule.delete()
    # Its counts went with it; events it took from another rule of its touchpoint go back there.
    _rollup_rebuild_later(map_id)


def touchpoint_from_event(
    *, actor, journey_map: JourneyMap, stage: Stage, event_type: str, event_name: str = "", path: str = ""
) -> tuple[Touchpoint, TrackingRule]:
    """Add a touchpoint to ``stage`` for an unmapped event name (track) or page path (page), with the
    tracking rule that binds it, in one transaction. The touchpoint is made by journeys' own
    service, so the map's revision and history record it like any other edit."""
    from journeys import services as journeys_services

    require_role(actor, journey_map.team_id, Role.EDITOR)
    if stage.journey_map_id != journey_map.pk:
        raise ValidationError({"stage": _("Choose a stage of this map.")})
    event_name = (event_name or "").strip()
    path = (path or "").strip()
    if event_type == TrackingRule.EventType.TRACK:
        if not event_name:
            raise ValidationError({"event_name": _("Give the event's name.")})
        name, channel, rule_fields = event_name, "other", {"event_name": event_name}
    elif event_type == TrackingRule.EventType.PAGE:
        if not path:
            raise ValidationError({"path": _("Give the page's path.")})
        # The path exactly: a literal * or ? in it must not act as a wildcard (fnmatch's [x] escapes).
        pattern = "".join(f"[{c}]" if c in "*?[" else c for c in path)
        name, channel, rule_fields = path, "page", {"path_pattern": pattern}
    else:
        raise ValidationError({"event_type": _("Choose track (an event name) or page (a path).")})
    with transaction.atomic():
        touchpoint = journeys_services.touchpoint_create(
            stage=stage,
            actor=actor,
            revision=None,
            name=name[: Touchpoint._meta.get_field("name").max_length],
            channel=channel,
        )
        rule = tracking_rule_create(
            actor=actor, stage=stage, touchpoint=touchpoint, event_type=event_type, **rule_fields
        )
    return touchpoint, rule


# --- ingestion ----------------------------------------------------------------------------------


@dataclass
class IngestResult:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    refused: list[dict] = field(default_factory=list)
    event_ids: list[int] = field(default_factory=list)


def events_ingest(
    *,
    source: Source,
    items: list,
    received_at: datetime,
    type_: str | None = None,
    outer_context: dict | None = None,
    outer_sent_at: datetime | None = None,
) -> IngestResult:
    """Store the valid events of a call or batch; say which were refused and why.

    Everything is stored in one transaction before the caller answers, so an acknowledged event is
    durable. Deduplication is the database's: ``(source, messageId)`` is unique (a unique index on
    SQLite, a claim table on partitioned PostgreSQL) and the insert skips what is taken, so retries
    and concurrent duplicates store one row. Identity links and traits
    are applied for the rows this call stored; stages follow after the commit (``tasks``).
    """
    result = IngestResult(received=len(items))
    privacy = PrivacySettings.for_team(source.team)
    messages: list[tuple[int, ingest.Message]] = []
    seen_ids: set[str] = set()
    for index, item in enumerate(items):
        try:
            message = ingest.message_from(
                item,
                type_=type_,
                received_at=received_at,
                outer_context=outer_context,
                outer_sent_at=outer_sent_at,
                consent_category=privacy.consent_category,
                store_full_ip=privacy.store_full_ip,
            )
        except ingest.EventRefused as refused:
            message_id = item.get("messageId") if isinstance(item, dict) else None
            result.refused.append(
                {
                    "index": index,
                    "messageId": message_id if isinstance(message_id, str) else None,
                    "code": refused.code,
                    "field": refused.field,
                    "message": refused.message,
                }
            )
            continue
        if message.message_id in seen_ids:
            result.duplicates += 1
            continue
        seen_ids.add(message.message_id)
        messages.append((index, message))
    if not messages:
        return result

    team_id = source.team_id
    with transaction.atomic():
        groups = [_keys(message) for _, message in messages]
        identities, new_profiles = identity.identities_ensure(team_id=team_id, groups=groups, seen_at=received_at)
        rows = [
            Event(
                team_id=team_id,
                source_id=source.pk,
                message_id=message.message_id,
                type=message.type,
                event=message.event,
                anonymous_id=message.anonymous_id,
                user_id=message.user_id,
                identity_id=identities[message.primary].pk,
                group_id=message.group_id,
                previous_id=message.previous_id,
                path=message.path,
                properties=message.properties,
                traits=message.traits,
                context=message.context,
                timestamp=message.timestamp,
                original_timestamp=message.original_timestamp,
                sent_at=message.sent_at,
                received_at=received_at,
                clock_skew_suspect=bool({"timestamp_future", "timestamp_past"} & set(message.flags)),
                flags=message.flags,
            )
            for _, message in messages
        ]
        # In messageId order, so overlapping retries wait on each other, never deadlock.
        rows.sort(key=lambda row: row.message_id)
        stored = _events_insert(rows, source=source, received_at=received_at)
        result.stored = len(stored)
        result.duplicates += len(messages) - len(stored)
        result.event_ids = sorted(stored.values())
        # Profiles whose traits changed (identify, merges): their personas are assigned once for
        # the batch below, with the team's personas read once, not per event.
        persona_pending: set[int] = set()
        for _, message in messages:
            event_id = stored.get(message.message_id)
            if event_id is None:
                continue
            _resolve(team_id, message, event_id, identities, new_profiles, persona_pending)
        persona_assign.persona_assign_for_profiles(team_id, persona_pending)
        if stored:
            Source.objects.filter(pk=source.pk).update(last_event_at=received_at)
            ids = result.event_ids
            transaction.on_commit(lambda: _after_commit(ids))
    return result


# Rows per INSERT statement on PostgreSQL: a 500 KB batch of small events stays a few statements.
INSERT_CHUNK = 1000


def _events_insert(rows: list[Event], *, source: Source, received_at: datetime) -> dict[str, int]:
    """Insert the events, skipping messageIds already stored; return ``{message_id: id}`` of those stored.

    PostgreSQL (partitioned, migration 0006): no unique index can hold (source, message_id), so
    the table's insert trigger claims each key in ``customers_event_message_id`` and skips the row
    when it is taken (a concurrent claim waits for the other transaction, as a unique index did).
    A plain INSERT … RETURNING then returns exactly the rows stored; ``ON CONFLICT`` has nothing to
    work on there, and ``bulk_create`` refuses to see fewer rows come back than it sent.

    SQLite (plain table): ``INSERT OR IGNORE`` on the unique index; the rows stored are those of
    these messageIds with this call's receipt time (a retry that lost the race to an earlier copy
    finds the earlier copy's time). SQLite serialises writers, so nobody can interleave.
    """
    if connection.vendor == "postgresql":
        fields = [f for f in Event._meta.concrete_fields if not f.primary_key]
        returning = [Event._meta.pk, Event._meta.get_field("message_id")]
        stored: dict[str, int] = {}
        with connection.cursor() as cursor:
            for start in range(0, len(rows), INSERT_CHUNK):
                query = InsertQuery(Event)
                query.insert_values(fields, rows[start : start + INSERT_CHUNK])
                compiler = query.get_compiler(connection=connection)
                compiler.returning_fields = returning
                for sql, params in compiler.as_sql():
                    cursor.execute(sql, params)
                    stored.update((message_id, pk) for pk, message_id in cursor.fetchall())
        return stored
    Event.objects.bulk_create(rows, ignore_conflicts=True)
    return dict(
        Event.objects.filter(
            source_id=source.pk, message_id__in=[row.message_id for row in rows], received_at=received_at
        ).values_list("message_id", "id")
    )


def _keys(message: ingest.Message) -> list[identity.Key]:
    keys = []
    if message.user_id:
        keys.append((Identity.Kind.USER_ID.value, message.user_id))
    if message.anonymous_id:
        keys.append((Identity.Kind.ANONYMOUS_ID.value, message.anonymous_id))
    return keys


def _resolve(
    team_id: int,
    message: ingest.Message,
    event_id: int,
    identities: dict,
    new_profiles: set[int],
    persona_pending: set[int],
) -> None:
    user_key = (Identity.Kind.USER_ID.value, message.user_id)
    if message.user_id and message.anonymous_id:
        anon_key = (Identity.Kind.ANONYMOUS_ID.value, message.anonymous_id)
        if identities[user_key].profile_id != identities[anon_key].profile_id:
            identity.identities_link(
                team_id=team_id,
                user_key=user_key,
                other_key=anon_key,
                trigger=message.type,
                event_id=event_id,
                new_profile_ids=new_profiles,
                persona_pending=persona_pending,
            )
    if message.type == "alias" and message.previous_id != message.user_id:
        previous = _previous_key(team_id, message.previous_id)
        identity.identities_link(
            team_id=team_id,
            user_key=user_key,
            other_key=previous,
            trigger="alias",
            event_id=event_id,
            persona_pending=persona_pending,
        )
    if message.type == "identify" and message.traits:
        kind, value = message.primary
        profile_id = (
            Identity.objects.filter(team_id=team_id, kind=kind, value=value)
            .values_list("profile_id", flat=True)
            .first()
        )
        if profile_id is not None:
            identity.traits_apply(
                team_id=team_id,
                profile_id=profile_id,
                traits=message.traits,
                at=message.timestamp,
                event_id=event_id,
                persona_pending=persona_pending,
            )


def _previous_key(team_id: int, value: str) -> identity.Key:
    """An alias's previousId is a former user id or an anonymous id, whichever is known."""
    kinds = list(Identity.objects.filter(team_id=team_id, value=value).values_list("kind", flat=True))
    for kind in (Identity.Kind.USER_ID, Identity.Kind.ANONYMOUS_ID, Identity.Kind.ALIAS):
        if kind in kinds:
            return (kind.value, value)
    return (Identity.Kind.ALIAS.value, value)


def _after_commit(event_ids: list[int]) -> None:
    from .tasks import events_match

    try:
        events_match.delay(event_ids)
    except Exception:
        # The broker is down: the events are committed, unmatched, and the periodic sweep
        # (tasks.events_match_due) matches them; the call that sent them still succeeds.
        logger.warning(
            "customers: could not queue matching for %d events; the sweep will", len(event_ids), exc_info=True
        )


# --- the live debugger: refusals ---------------------------------------------------------------


def _excerpt(payload) -> str:
    """Return what was sent as JSON, cut to ``IngestRefusal.PAYLOAD_LIMIT`` bytes (whole characters)."""
    if isinstance(payload, bytes):
        raw = payload
    else:
        try:
            raw = json.dumps(payload, ensure_ascii=False, default=str).encode()
        except (TypeError, ValueError, RecursionError):
            raw = repr(payload).encode()
    return raw[: IngestRefusal.PAYLOAD_LIMIT].decode("utf-8", "ignore")


def refusals_record(*, source: Source, received_at: datetime, refusals: list[dict]) -> int:
    """Keep the refusals of one request for the source's debugger; trim the source to the last ``KEEP``.

    Each refusal is ``{"code", "message", "field", "messageId", "payload"}``. A request refused
    whole (bad JSON in a batch, a bad ``sentAt``) is one refusal. Failing to record never fails
    ingestion: the answer the client gets is what matters; this is a diagnosis aid.
    """
    if not refusals:
        return 0
    rows = [
        IngestRefusal(
            team_id=source.team_id,
            source_id=source.pk,
            received_at=received_at,
            code=str(r.get("code") or "")[:40],
            field=str(r.get("field") or "")[:100],
            message=str(r.get("message") or "")[:500],
            message_id=r["messageId"][:128] if isinstance(r.get("messageId"), str) else "",
            payload=_excerpt(r.get("payload")),
        )
        # Only the last KEEP of a large refused batch could survive the trim anyway.
        for r in refusals[-IngestRefusal.KEEP :]
    ]
    try:
        with transaction.atomic():
            IngestRefusal.objects.bulk_create(rows)
            cutoff = (
                IngestRefusal.objects.filter(source_id=source.pk)
                .order_by("-id")
                .values_list("id", flat=True)[IngestRefusal.KEEP : IngestRefusal.KEEP + 1]
            )
            cutoff = list(cutoff)
            if cutoff:
                IngestRefusal.objects.filter(source_id=source.pk, id__lte=cutoff[0]).delete()
    except DatabaseError:
        logger.warning("customers: could not record %d refusals of source %s", len(rows), source.pk, exc_info=True)
        return 0
    return len(rows)


# --- privacy ------------------------------------------------------------------------------------


def privacy_settings_update(
    *,
    actor,
    team: Team,
    store_full_ip: bool | None = None,
    consent_category: str | None = None,
    retention_days: int | object | None = UNCHANGED,
) -> PrivacySettings:
    """Change the team's IP, consent and retention settings (team admins)."""
    require_role(actor, team.pk, Role.ADMIN)
    settings_row, _created = PrivacySettings.objects.get_or_create(team=team)
    if store_full_ip is not None:
        settings_row.store_full_ip = bool(store_full_ip)
    if consent_category is not None:
        consent_category = consent_category.strip()
        if len(consent_category) > 100:
            raise ValidationError({"consent_category": _("Give a category of at most 100 characters.")})
        settings_row.consent_category = consent_category
    if retention_days is not UNCHANGED:
        if retention_days is not None and (
            isinstance(retention_days, bool) or not isinstance(retention_days, int) or retention_days < 1
        ):
            raise ValidationError({"retention_days": _("Give a number of days of at least 1, or leave it blank.")})
        settings_row.retention_days = retention_days
    settings_row.updated_at = timezone.now()
    settings_row.save()
    return settings_row


# What an erasure reports, per model deleted.
ERASURE_KINDS = {
    "customers.Profile": "profiles",
    "customers.Identity": "identities",
    "customers.Event": "events",
    "customers.TraitChange": "trait_changes",
    "customers.StageTransition": "stage_transitions",
    "customers.ProfileStage": "current_stages",
    "customers.ProfileMerge": "merges",
}


def _erasure_actor(actor):
    """The person to record: an API key records its creator."""
    api_key = getattr(actor, "api_key", None)
    if api_key is not None:
        return api_key.created_by
    return actor if getattr(actor, "pk", None) else None


def _profile_family(team_id: int, profile_ids: set[int]) -> set[int]:
    """Return the profiles and every profile merged into them, however long the chain."""
    family, frontier = set(profile_ids), set(profile_ids)
    while frontier:
        frontier = (
            set(Profile.objects.filter(team_id=team_id, merged_into__in=frontier).values_list("pk", flat=True)) - family
        )
        family |= frontier
    return family


def profile_erase(*, actor, team: Team, user_id: str) -> Erasure:
    """Delete everything kept about the person with ``user_id`` and record that it was done.

    The person is the profile holding that identifier (a user id, or an anonymous id or alias of
    theirs), with the profiles merged into it: their events, identities, trait history, stage
    records and merges, and what other apps keep under their identifiers (survey answers and their
    follow-ups). The ``Erasure`` keeps a keyed hash of ``user_id``, never the id. An id nobody
    holds is recorded too, with nothing deleted: the request was honoured.
    """
    require_role(actor, team.pk, Role.ADMIN)
    user_id = (user_id or "").strip()
    if not user_id:
        raise ValidationError({"user_id": _("Give the user id of the person to erase.")})
    if len(user_id) > 255:
        raise ValidationError({"user_id": _("A user id is at most 255 characters.")})
    with transaction.atomic():
        roots = set(Identity.objects.filter(team=team, value=user_id).values_list("profile_id", flat=True))
        family = _profile_family(team.pk, roots)
        # Lock them, so an event arriving now waits and then starts a new profile.
        list(Profile.objects.select_for_update().filter(pk__in=family).order_by("pk").values_list("pk", flat=True))
        identifiers = sorted(set(Identity.objects.filter(profile_id__in=family).values_list("value", flat=True)))
        counts = dict.fromkeys(ERASURE_KINDS.values(), 0)
        for handler in extensions.erasure_handlers:
            for kind, deleted in handler(team_id=team.pk, identifiers=identifiers or [user_id]).items():
                counts[kind] = counts.get(kind, 0) + deleted
        if family:
            # Events on their own first, loading only their ids (their JSON can be large); the
            # profiles' cascade then takes identities, traits, stage records and merges.
            _total, by_model = Event.objects.filter(identity__profile_id__in=family).only("pk").delete()
            _total, more = Profile.objects.filter(pk__in=family).delete()
            for label, deleted in [*by_model.items(), *more.items()]:
                if label in ERASURE_KINDS:
                    counts[ERASURE_KINDS[label]] += deleted
        erasure = Erasure.objects.create(
            team=team,
            identifier_hash=erasure_hash(team.pk, user_id),
            erased_by=_erasure_actor(actor),
            counts=counts,
        )
    logger.info("customers: erased %d profiles of team %s (erasure %s)", len(family), team.pk, erasure.pk)
    return erasure


def event_partitions_ensure(*, now: datetime | None = None) -> list[str]:
    """Create the coming months' event partitions (PostgreSQL); return the names created.

    Run every 6 hours by beat; on SQLite (a plain table) it does nothing.
    """
    return partitions.partitions_ensure(now=now)


def _partitions_drop_expired(now: datetime) -> int:
    """Drop the monthly event partitions that every team's retention period has passed.

    A month goes whole only when every team that can have events (every team with a source)
    keeps them for a limited time and the month ended before that team's cutoff; otherwise the
    batched DELETE removes what is due, team by team.
    """
    teams = set(Source.objects.values_list("team_id", flat=True).distinct())
    retention = dict(
        PrivacySettings.objects.filter(retention_days__isnull=False).values_list("team_id", "retention_days")
    )
    if not teams or not teams <= retention.keys():
        return 0
    cutoff = min(now - timedelta(days=retention[team_id]) for team_id in teams)
    dropped = 0
    for partition in partitions.partitions_list():
        if partition.is_default or partition.end > cutoff:
            continue
        try:
            dropped += partitions.partition_drop(month=partition.start)
        except OperationalError:
            # Its lock was not granted in time: the batched DELETE below removes the rows.
            logger.warning("customers: event partition %s not dropped; next run", partition.name, exc_info=True)
    return dropped


def events_retention_sweep(*, now: datetime | None = None, batch_size: int = 5000) -> int:
    """Delete the events older than their team's retention period; return how many.

    On partitioned PostgreSQL, months that every team's period has passed are dropped whole first
    (``_partitions_drop_expired``). What is left is deleted in batches, each its own short
    transaction, so ingestion never waits long behind the sweep. Profiles, identities, traits and
    stage records stay: retention ages events out, erasure removes people.
    """
    now = now or timezone.now()
    deleted = 0
    if partitions.is_partitioned():
        deleted += _partitions_drop_expired(now)
    for team_id, days in PrivacySettings.objects.filter(retention_days__isnull=False).values_list(
        "team_id", "retention_days"
    ):
        cutoff = now - timedelta(days=days)
        # The overlay's per-identity day counts age out with the events they count.
        TrackingRuleDay.objects.filter(team_id=team_id, day__lt=cutoff.date()).delete()
        while True:
            with transaction.atomic():
                ids = list(
                    Event.objects.filter(team_id=team_id, timestamp__lt=cutoff)
                    .order_by("timestamp", "id")
                    .values_list("pk", flat=True)[:batch_size]
                )
                if not ids:
                    break
                # Only the ids are loaded; rows that point at an event keep themselves, unlinked.
                # The time bound lets PostgreSQL look for the ids in the old months only.
                doomed = Event.objects.filter(pk__in=ids, timestamp__lt=cutoff).only("pk")
                deleted += doomed.delete()[1].get("customers.Event", 0)
            if len(ids) < batch_size:
                break
    if deleted:
        logger.info("customers: retention deleted %d events", deleted)
    return deleted
