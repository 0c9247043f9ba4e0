"""Cohorts: saved lists of profiles (a funnel's drop-off) and rules evaluated when read.

Rules are ``{"match": "all" | "any", "conditions": [...]}``; a condition is one of

- ``{"type": "trait", "key": "plan", "op": "eq" | "neq" | "in" | "contains" | "exists", "value": …}``
- ``{"type": "stage", "stage": <stage id>}``: the profile is in that stage of its map now;
- ``{"type": "event", "event": "Order Completed", "done": true | false, "days": 30}``: did (or did
  not) do the event in the last ``days`` days, read through its identities (merges respected).

Every read gives live profiles only: a member merged into another profile since it was saved is
followed to the profile it lives on in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Event, Profile, ProfileStage
from journeys.models import Stage
from teams.access import check_actor
from teams.csv_export import csv_lines
from teams.models import Role, Team

from .models import Cohort, CohortMember

TRAIT_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
TRAIT_OPS = ("eq", "neq", "in", "contains", "exists")
MAX_CONDITIONS = 20
CSV_HEADER = ["profile_id", "user_id", "first_seen_at", "last_seen_at", "traits"]


def validate_rules(rules, *, team: Team) -> dict:
    """Return ``rules`` checked and normalised, or raise ValidationError naming what is wrong."""
    if not isinstance(rules, dict):
        raise ValidationError({"rules": _("Rules are an object with match and conditions.")})
    match = rules.get("match", "all")
    conditions = rules.get("conditions")
    if match not in ("all", "any"):
        raise ValidationError({"rules": _("match is all or any.")})
    if not isinstance(conditions, list) or not 1 <= len(conditions) <= MAX_CONDITIONS:
        raise ValidationError({"rules": _("Give from 1 to %(max)s conditions.") % {"max": MAX_CONDITIONS}})
    clean = []
    for condition in conditions:
        kind = condition.get("type") if isinstance(condition, dict) else None
        if kind == "trait":
            key, op = condition.get("key", ""), condition.get("op", "eq")
            if not isinstance(key, str) or not TRAIT_KEY.match(key) or "__" in key:
                raise ValidationError({"rules": _("A trait is named with letters, digits, - and _.")})
            if op not in TRAIT_OPS:
                raise ValidationError({"rules": _("A trait's op is eq, neq, in, contains or exists.")})
            if op == "in" and not isinstance(condition.get("value"), list):
                raise ValidationError({"rules": _("The in op needs a list of values.")})
            clean.append({"type": "trait", "key": key, "op": op, "value": condition.get("value")})
        elif kind == "stage":
            stage_id = condition.get("stage")
            if not isinstance(stage_id, int) or not Stage.objects.for_team(team).filter(pk=stage_id).exists():
                raise ValidationError({"rules": _("The stage is not on a map of the team.")})
            clean.append({"type": "stage", "stage": stage_id})
        elif kind == "event":
            name, days = condition.get("event"), condition.get("days", 30)
            if not isinstance(name, str) or not name.strip() or len(name) > 200:
                raise ValidationError({"rules": _("Name the event.")})
            if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 3660:
                raise ValidationError({"rules": _("days is a whole number from 1 to 3660.")})
            done = bool(condition.get("done", True))
            clean.append({"type": "event", "event": name.strip(), "done": done, "days": days})
        else:
            raise ValidationError({"rules": _("A condition's type is trait, stage or event.")})
    return {"match": match, "conditions": clean}


def _condition_q(condition: dict, now) -> Q:
    kind = condition["type"]
    if kind == "trait":
        field, op, value = f"traits__{condition['key']}", condition["op"], condition["value"]
        if op == "exists":
            return Q(traits__has_key=condition["key"])
        if op == "in":
            return Q(**{f"{field}__in": value})
        if op == "contains":
            return Q(**{f"{field}__icontains": str(value)})
        equal = Q(**{field: value})
        return equal if op == "eq" else ~equal
    if kind == "stage":
        return Q(Exists(ProfileStage.objects.filter(profile=OuterRef("pk"), stage_id=condition["stage"])))
    since = now - timedelta(days=condition["days"])
    did = Exists(Event.objects.filter(identity__profile=OuterRef("pk"), event=condition["event"], timestamp__gte=since))
    return Q(did) if condition["done"] else ~Q(did)


def cohort_profiles(cohort: Cohort, *, now=None) -> QuerySet[Profile]:
    """Return the live profiles in ``cohort`` now: its saved list, or whoever meets its rules."""
    live = Profile.objects.filter(team_id=cohort.team_id, merged_into__isnull=True)
    if cohort.kind == Cohort.Kind.STATIC:
        members = CohortMember.objects.filter(cohort=cohort).values("profile_id")
        # A member merged away since is followed to the profile it lives on in (two hops deep).
        return live.filter(
            Q(pk__in=members) | Q(merged_profiles__pk__in=members) | Q(merged_profiles__merged_profiles__pk__in=members)
        ).distinct()
    rules = cohort.rules or {}
    now = now or timezone.now()
    parts = [_condition_q(condition, now) for condition in rules.get("conditions", [])]
    if not parts:
        return live.none()
    combined = parts[0]
    for part in parts[1:]:
        combined = combined & part if rules.get("match", "all") == "all" else combined | part
    return live.filter(combined)


def cohort_list(*, user, team: Team | None = None) -> QuerySet[Cohort]:
    queryset = Cohort.objects.for_user(user).select_related("created_by")
    return queryset.filter(team=team) if team is not None else queryset


@transaction.atomic
def cohort_create(
    *,
    team: Team,
    actor,
    name: str,
    description: str = "",
    kind: str = Cohort.Kind.STATIC,
    rules: dict | None = None,
    profile_ids: Iterable[int] = (),
) -> Cohort:
    """Create a cohort: a static list of the team's profiles, or rules."""
    check_actor(actor, team.pk, Role.EDITOR)
    if kind not in Cohort.Kind.values:
        raise ValidationError({"kind": _("Choose a static list or rules.")})
    if not name.strip():
        raise ValidationError({"name": _("Name the cohort.")})
    clean_rules = validate_rules(rules or {}, team=team) if kind == Cohort.Kind.RULES else {}
    cohort = Cohort.objects.create(
        team=team,
        name=name.strip()[:200],
        description=description,
        kind=kind,
        rules=clean_rules,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    if kind == Cohort.Kind.STATIC:
        _add_members(cohort, profile_ids)
    return cohort


def _add_members(cohort: Cohort, profile_ids: Iterable[int]) -> int:
    ids = set(Profile.objects.filter(team_id=cohort.team_id, pk__in=list(profile_ids)).values_list("pk", flat=True))
    CohortMember.objects.bulk_create(
        [CohortMember(cohort=cohort, profile_id=pk) for pk in sorted(ids)], ignore_conflicts=True
    )
    return len(ids)


@transaction.atomic
def cohort_update(*, cohort: Cohort, actor, **changes) -> Cohort:
    """Change a cohort's name, description or rules (a static list keeps its members)."""
    check_actor(actor, cohort.team_id, Role.EDITOR)
    cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)
    if "name" in changes:
        if not str(changes["name"]).strip():
            raise ValidationError({"name": _("Name the cohort.")})
        cohort.name = str(changes["name"]).strip()[:200]
    if "description" in changes:
        cohort.description = changes["description"]
    if "rules" in changes and cohort.kind == Cohort.Kind.RULES:
        cohort.rules = validate_rules(changes["rules"], team=cohort.team)
    cohort.save()
    return cohort


def cohort_delete(*, cohort: Cohort, actor) -> None:
    check_actor(actor, cohort.team_id, Role.EDITOR)
    cohort.delete()


def cohort_csv(cohort: Cohort) -> Iterator[str]:
    """Yield the cohort's profiles as CSV lines (header first), for a streaming download."""
    rows = (
        (
            p.pk,
            p.user_id,
            p.first_seen_at.isoformat(),
            p.last_seen_at.isoformat(),
            json.dumps(p.traits, ensure_ascii=False, sort_keys=True),
        )
        for p in cohort_profiles(cohort).order_by("pk").iterator(chunk_size=2000)
    )
    return csv_lines(CSV_HEADER, rows, bom=True)
