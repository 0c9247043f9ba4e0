"""State-changing operations on sources, tracking rules and events (ingestion)."""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import DatabaseError, OperationalError, connection, transaction
from django.db.models import Q
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
    text_checked: bool = False,
) -> IngestResult:
    """Store the valid events of a call or batch; say which were refused and why.

    Everything is stored in one transaction before the caller answers, so an acknowledged event is
    durable. Deduplication is the database's: ``(source, messageId)`` is unique (a unique index on
    SQLite, a claim table on partitioned PostgreSQL) and the insert skips what is taken, so retries
    and concurrent duplicates store one row. Identity links and traits
    are applied for the rows this call stored; stages follow after the commit (``tasks``).
    ``text_checked``: the caller found no NUL or lone surrogate in the body (``ingest.text_is_storable``).
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
                text_checked=text_checked,
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
    plain = [message for _, message in messages]
    if not any(_changes_people(message) for message in plain):
        # The common case (track, page, screen of known people): the insert alone, in autocommit, is
        # atomic by itself; no BEGIN and COMMIT round trips.
        known = identity.identities_load(team_id=team_id, keys={key for m in plain for key in _keys(m)})
        if all(key in known for m in plain for key in _keys(m)) and not any(
            m.user_id and m.anonymous_id and known[_user_key(m)].profile_id != known[_anon_key(m)].profile_id
            for m in plain
        ):
            stored = events_insert(
                source=source,
                messages=plain,
                identity_ids={key: row.pk for key, row in known.items()},
                received_at=received_at,
            )
            _finish(result, source, messages, stored, received_at)
            return result

    with transaction.atomic():
        groups = [_keys(message) for _, message in messages]
        identities, new_profiles = identity.identities_ensure(team_id=team_id, groups=groups, seen_at=received_at)
        stored = events_insert(
            source=source,
            messages=[message for _, message in messages],
            identity_ids={key: row.pk for key, row in identities.items()},
            received_at=received_at,
        )
        _resolve_all(team_id, [m for _, m in messages], stored, identities, new_profiles)
        _finish(result, source, messages, stored, received_at)
    return result


def _user_key(message: ingest.Message) -> identity.Key:
    return (Identity.Kind.USER_ID.value, message.user_id)


def _anon_key(message: ingest.Message) -> identity.Key:
    return (Identity.Kind.ANONYMOUS_ID.value, message.anonymous_id)


def _changes_people(message: ingest.Message) -> bool:
    """Whether storing the event may link identities or change traits (else: the insert alone)."""
    return message.type == "alias" or (message.type == "identify" and bool(message.traits))


def _finish(result: IngestResult, source: Source, messages: list, stored: dict[str, int], received_at) -> None:
    result.stored = len(stored)
    result.duplicates += len(messages) - len(stored)
    result.event_ids = sorted(stored.values())
    if stored:
        _touch_source(source, received_at)
        ids = result.event_ids
        wanted = extensions.arrival_names(source.team_id)
        arrived = sorted({stored[m.message_id] for _, m in messages if m.event in wanted and m.message_id in stored})
        # After the commit; at once in autocommit.
        transaction.on_commit(lambda: _after_commit(ids, arrived))


# PostgreSQL's deduplication of a stored event is not in the statement: the events table is
# partitioned by month (migration 0006), which cannot carry a unique (source, messageId) index, so
# its BEFORE INSERT trigger claims each key in customers_event_message_id and skips a row whose key
# is taken (a concurrent claim waits for the other transaction, as a unique index did). RETURNING
# then lists exactly the rows stored. An unpartitioned table would put "ON CONFLICT … DO NOTHING" here.
EVENT_CONFLICT_CLAUSE = ""

# Every column of an event but the ones the request sets for all rows (team, source, receipt time).
_EVENT_RECORD = (
    "message_id text, type text, event text, anonymous_id text, user_id text, identity_id bigint,"
    " group_id text, previous_id text, path text, properties jsonb, traits jsonb, context jsonb,"
    ' "timestamp" timestamptz, original_timestamp timestamptz, sent_at timestamptz,'
    " clock_skew_suspect boolean, flags jsonb"
)
_EVENT_COLUMNS = [part.split()[0] for part in _EVENT_RECORD.split(",")]


def _event_insert_sql() -> str:
    table = Event._meta.db_table
    columns = ", ".join(_EVENT_COLUMNS)
    selected = ", ".join(f"r.{column}" for column in _EVENT_COLUMNS)
    # In messageId order, so overlapping retries wait on each other's row locks, never deadlock.
    # Only constants are formatted in; every value is a parameter.
    return (
        f'INSERT INTO "{table}" (team_id, source_id, received_at, {columns})'  # noqa: S608
        f" SELECT %s, %s, %s, {selected} FROM jsonb_to_recordset(%s::jsonb) AS r({_EVENT_RECORD})"
        f" ORDER BY r.message_id {EVENT_CONFLICT_CLAUSE} RETURNING message_id, id"
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def events_insert(
    *, source: Source, messages: list[ingest.Message], identity_ids: dict, received_at: datetime
) -> dict[str, int]:
    """Insert the events, skipping messageIds the source already stored; return ``{messageId: id}`` stored.

    On PostgreSQL one statement for the whole request: the rows travel as one JSON array, expanded
    by ``jsonb_to_recordset`` and inserted with ``RETURNING``, so the answer knows what it stored
    without reading the rows back. Elsewhere (SQLite) ``INSERT OR IGNORE`` and a read of the rows
    with this request's receipt time (a retry that lost the race finds the earlier copy's time).
    """
    if connection.vendor == "postgresql":
        records = [
            {
                "message_id": m.message_id,
                "type": m.type,
                "event": m.event,
                "anonymous_id": m.anonymous_id,
                "user_id": m.user_id,
                "identity_id": identity_ids[m.primary],
                "group_id": m.group_id,
                "previous_id": m.previous_id,
                "path": m.path,
                "properties": m.properties,
                "traits": m.traits,
                "context": m.context,
                "timestamp": _iso(m.timestamp),
                "original_timestamp": _iso(m.original_timestamp),
                "sent_at": _iso(m.sent_at),
                "clock_skew_suspect": bool({"timestamp_future", "timestamp_past"} & set(m.flags)),
                "flags": m.flags,
            }
            for m in messages
        ]
        payload = json.dumps(records, separators=(",", ":"), ensure_ascii=False)
        sql, params = _event_insert_sql(), [source.team_id, source.pk, received_at, payload]
        with connection.cursor() as cursor:
            import psycopg

            # Bound on the server (a psycopg Cursor on Django's connection), as feedback's answer
            # insert: the batch's JSON travels as a parameter instead of being escaped into the
            # statement's text, and psycopg prepares the statement after a few uses.
            log = cursor.debug_sql(sql, params) if hasattr(cursor, "debug_sql") else contextlib.nullcontext()
            with log, connection.wrap_database_errors, psycopg.Cursor(cursor.cursor.connection) as bound:
                bound.execute(sql, params)
                return dict(bound.fetchall())
    rows = [
        Event(
            team_id=source.team_id,
            source_id=source.pk,
            message_id=m.message_id,
            type=m.type,
            event=m.event,
            anonymous_id=m.anonymous_id,
            user_id=m.user_id,
            identity_id=identity_ids[m.primary],
            group_id=m.group_id,
            previous_id=m.previous_id,
            path=m.path,
            properties=m.properties,
            traits=m.traits,
            context=m.context,
            timestamp=m.timestamp,
            original_timestamp=m.original_timestamp,
            sent_at=m.sent_at,
            received_at=received_at,
            clock_skew_suspect=bool({"timestamp_future", "timestamp_past"} & set(m.flags)),
            flags=m.flags,
        )
        for m in messages
    ]
    rows.sort(key=lambda row: row.message_id)
    Event.objects.bulk_create(rows, ignore_conflicts=True)
    return dict(
        Event.objects.filter(
            source_id=source.pk, message_id__in=[m.message_id for m in messages], received_at=received_at
        ).values_list("message_id", "id")
    )


# Source.last_event_at is for people ("last event 2 minutes ago"): written at most this often, not
# on every request (a row every request would update is a hot row under load).
SOURCE_TOUCH_SECONDS = 60


def _touch_source(source: Source, received_at: datetime) -> None:
    every = timedelta(seconds=SOURCE_TOUCH_SECONDS)
    # The source is this process's cached copy (customers.public): its time is what this process
    # last wrote or read; the UPDATE is conditional, so the processes together also write it about
    # once a minute.
    if source.last_event_at is not None and received_at - source.last_event_at < every:
        return
    source.last_event_at = received_at
    Source.objects.filter(pk=source.pk).filter(
        Q(last_event_at__isnull=True) | Q(last_event_at__lt=received_at - every)
    ).update(last_event_at=received_at)


def _keys(message: ingest.Message) -> list[identity.Key]:
    keys = []
    if message.user_id:
        keys.append((Identity.Kind.USER_ID.value, message.user_id))
    if message.anonymous_id:
        keys.append((Identity.Kind.ANONYMOUS_ID.value, message.anonymous_id))
    return keys


def _resolve_all(
    team_id: int, messages: list[ingest.Message], stored: dict[str, int], identities: dict, new_profiles: set[int]
) -> None:
    """Apply the identity links and traits of the stored events, in the order they came.

    Traits are gathered and applied together (``identity.traits_apply_many``); before a link, which
    may merge profiles, the traits gathered so far are applied, so the outcome is the same as
    applying each event in turn.
    """
    pending: list[tuple[ingest.Message, int]] = []
    # Profiles whose traits changed (identify, merges): their personas are assigned once for the
    # batch at the end, with the team's personas read once, not per event.
    persona_pending: set[int] = set()

    def flush() -> None:
        if not pending:
            return
        # Read now, after the links before them: a merge may have moved an identity.
        found = identity.identities_load(team_id=team_id, keys={m.primary for m, _ in pending})
        profiles = {key: row.profile_id for key, row in found.items()}
        identity.traits_apply_many(
            team_id=team_id,
            items=[
                (profiles[m.primary], m.traits, m.timestamp, event_id)
                for m, event_id in pending
                if m.primary in profiles
            ],
            persona_pending=persona_pending,
        )
        pending.clear()

    for message in messages:
        event_id = stored.get(message.message_id)
        if event_id is None:
            continue
        user_key = (Identity.Kind.USER_ID.value, message.user_id)
        if message.user_id and message.anonymous_id:
            anon_key = (Identity.Kind.ANONYMOUS_ID.value, message.anonymous_id)
            if identities[user_key].profile_id != identities[anon_key].profile_id:
                flush()
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
            flush()
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
            pending.append((message, event_id))
    flush()
    persona_assign.persona_assign_for_profiles(team_id, persona_pending)


def _previous_key(team_id: int, value: str) -> identity.Key:
    """An alias's previousId is a former user id or an anonymous id, whichever is known."""
    kinds = list(Identity.objects.filter(team_id=team_id, value=value).values_list("kind", flat=True))
    for kind in (Identity.Kind.USER_ID, Identity.Kind.ANONYMOUS_ID, Identity.Kind.ALIAS):
        if kind in kinds:
            return (kind.value, value)
    return (Identity.Kind.ALIAS.value, value)


def _after_commit(event_ids: list[int], arrived: list[int] = ()) -> None:
    from . import tasks

    if arrived:
        try:
            tasks.events_arrive_enqueue(list(arrived))
        except Exception:
            # Nothing is lost: the matching gives the same events to the match hooks.
            logger.warning("customers: could not queue %d events for the arrival hooks", len(arrived), exc_info=True)
    try:
        tasks.events_match_enqueue(event_ids)
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
        _clickhouse_erase_on_commit(team.pk, family)
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


def _clickhouse_erase_on_commit(team_id: int, family: set[int]) -> None:
    """Erase the person's copy in ClickHouse too, once their rows here are gone for good."""
    from . import clickhouse

    if not clickhouse.enabled() or not family:
        return
    from .tasks import clickhouse_erase

    ids = list(Identity.objects.filter(profile_id__in=family).values_list("pk", flat=True))
    transaction.on_commit(lambda: clickhouse_erase.delay(team_id, ids))


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
