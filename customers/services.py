"""State-changing operations on sources, tracking rules and events (ingestion)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from journeys.models import JourneyMap, Stage, Touchpoint
from teams.access import require_role
from teams.models import Role, Team

from . import identity, ingest
from .models import Event, Identity, Source, TrackingRule

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
    return rule


def tracking_rule_update(*, rule: TrackingRule, actor, **changes) -> TrackingRule:
    require_role(actor, rule.team_id, Role.EDITOR)
    allowed = {"stage", "touchpoint", "event_type", "event_name", "path_pattern", "conditions", "is_active"}
    for name, value in changes.items():
        if name not in allowed:
            raise ValidationError({name: _("This field cannot be changed.")})
        setattr(rule, name, value.strip() if isinstance(value, str) else value)
    if "stage" in changes:
        rule.journey_map = rule.stage.journey_map
    _clean_rule(rule)
    rule.save()
    return rule


def tracking_rule_delete(*, rule: TrackingRule, actor) -> None:
    require_role(actor, rule.team_id, Role.EDITOR)
    rule.delete()


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
    durable. Deduplication is the database's: ``(source, messageId)`` is unique and the insert
    skips conflicts, so retries and concurrent duplicates store one row. Identity links and traits
    are applied for the rows this call stored; stages follow after the commit (``tasks``).
    """
    result = IngestResult(received=len(items))
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
        Event.objects.bulk_create(rows, ignore_conflicts=True)
        # The rows this call stored: those of its messageIds with its own receipt time (a retry
        # that lost the race to an earlier copy finds the earlier copy's time).
        stored = dict(
            Event.objects.filter(
                source_id=source.pk, message_id__in=[m.message_id for _, m in messages], received_at=received_at
            ).values_list("message_id", "id")
        )
        result.stored = len(stored)
        result.duplicates += len(messages) - len(stored)
        result.event_ids = sorted(stored.values())
        for _, message in messages:
            event_id = stored.get(message.message_id)
            if event_id is None:
                continue
            _resolve(team_id, message, event_id, identities, new_profiles)
        if stored:
            Source.objects.filter(pk=source.pk).update(last_event_at=received_at)
            ids = result.event_ids
            transaction.on_commit(lambda: _after_commit(ids))
    return result


def _keys(message: ingest.Message) -> list[identity.Key]:
    keys = []
    if message.user_id:
        keys.append((Identity.Kind.USER_ID.value, message.user_id))
    if message.anonymous_id:
        keys.append((Identity.Kind.ANONYMOUS_ID.value, message.anonymous_id))
    return keys


def _resolve(team_id: int, message: ingest.Message, event_id: int, identities: dict, new_profiles: set[int]) -> None:
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
            )
    if message.type == "alias" and message.previous_id != message.user_id:
        previous = _previous_key(team_id, message.previous_id)
        identity.identities_link(
            team_id=team_id, user_key=user_key, other_key=previous, trigger="alias", event_id=event_id
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
                team_id=team_id, profile_id=profile_id, traits=message.traits, at=message.timestamp, event_id=event_id
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
