"""State-changing operations on personas and scenarios.

Every write checks the actor's role in the persona's team, validates the whole row and lets the
database have the last word on unique names (two people creating “Shopper” at once: one gets a
field error, nothing half-written). Updates carry the revision the change was based on; a change
based on an older revision is refused with ``StaleRevision`` so nobody overwrites a colleague's
edit unseen.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from teams.access import history_user, require_role
from teams.models import Role, Team

from . import extensions, rules
from .models import AVATAR_PALETTE, Persona, Scenario

PERSONA_FIELDS = (
    "name",
    "summary",
    "role",
    "avatar_color",
    "photo",
    "market",
    "goals",
    "obstacles",
    "success_markers",
    "typical_deviations",
    "jobs_to_be_done",
    "quotes",
    "trait_rules",
    "priority",
)
# Changing these may change which persona a customer profile is (customers listens: extensions).
ASSIGNMENT_FIELDS = {"trait_rules", "priority", "archived"}
SCENARIO_FIELDS = ("name", "kind", "trigger", "goal", "expected_outcome", "success_markers")


NON_FIELD = "__all__"


class StaleRevision(Exception):
    """A change was based on an older revision than the stored one; ``current`` is the stored row."""

    def __init__(self, current: Persona | Scenario):
        self.current = current
        super().__init__(f"{current} was changed by someone else (now revision {current.revision}).")


def _clean_text(data: dict[str, Any]) -> dict[str, Any]:
    # Browsers post textarea lines with CRLF; store one kind of line break.
    data = {k: v.replace("\r\n", "\n").strip() if isinstance(v, str) else v for k, v in data.items()}
    if "photo" in data and not data["photo"]:
        data["photo"] = ""  # None or False (a cleared file input) removes the photo
    return data


def _clean_rules(fields: dict[str, Any]) -> dict[str, Any]:
    """Normalise ``trait_rules`` (see ``rules.clean_rules``); a bad condition is an error on that field."""
    if "trait_rules" in fields:
        try:
            fields["trait_rules"] = rules.clean_rules(fields["trait_rules"])
        except ValidationError as exc:
            raise ValidationError({"trait_rules": exc.messages}) from exc
    return fields


def _unknown(data: dict, allowed: Iterable[str]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise TypeError(f"Unknown fields: {', '.join(sorted(unknown))}")


def _stamp(obj, actor) -> None:
    """Record ``actor`` as the author of the next history row, also outside a request (tasks, demo)."""
    obj._history_user = history_user(SimpleNamespace(user=actor))


def _save_unique(obj, *, actor, name_error: str, update_fields: list[str] | None = None) -> None:
    """Validate and save ``obj``; a unique-name race lost in the database becomes a field error."""
    obj.full_clean(validate_constraints=False)
    _stamp(obj, actor)
    try:
        with transaction.atomic():
            obj.save(update_fields=update_fields)
    except IntegrityError as exc:
        raise ValidationError({"name": name_error}) from exc


def _persona_name_taken(team_id: int, name: str, exclude_pk: int | None = None) -> bool:
    qs = Persona.objects.filter(team_id=team_id, name__iexact=name)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def _scenario_name_taken(persona_id: int, name: str, exclude_pk: int | None = None) -> bool:
    qs = Scenario.objects.filter(persona_id=persona_id, name__iexact=name)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def _persona_name_error(name: str) -> str:
    return _("The team already has a persona called “%(name)s”.") % {"name": name}


def _scenario_name_error(name: str) -> str:
    return _("This persona already has a scenario called “%(name)s”.") % {"name": name}


def next_avatar_color(*, team: Team) -> str:
    """Return the palette colour for the team's next persona, so neighbours in the list differ."""
    return AVATAR_PALETTE[Persona.objects.filter(team=team).count() % len(AVATAR_PALETTE)]


def persona_create(*, team: Team, actor, scenarios: Iterable[dict] = (), **fields) -> Persona:
    """Create a persona in ``team`` (and, optionally, its first scenarios) in one transaction."""
    require_role(actor, team.pk, Role.EDITOR)
    _unknown(fields, PERSONA_FIELDS)
    fields = _clean_rules(_clean_text(fields))
    if not fields.get("avatar_color"):
        fields["avatar_color"] = next_avatar_color(team=team)
    persona = Persona(team=team, **fields)
    if persona.name and _persona_name_taken(team.pk, persona.name):
        raise ValidationError({"name": _persona_name_error(persona.name)})
    with transaction.atomic():
        _save_unique(persona, actor=actor, name_error=_persona_name_error(persona.name))
        for data in scenarios:
            scenario_create(persona=persona, actor=actor, **data)
        if persona.trait_rules:
            extensions.rules_changed(team_id=team.pk)
    return persona


def _apply_changes(*, locked, fields: dict, revision: int | None) -> list[str]:
    """Copy ``fields`` onto the locked row and return the names that changed; refuse a stale revision."""
    if revision is not None and int(revision) != locked.revision:
        raise StaleRevision(locked)
    changed = []
    for name, value in fields.items():
        if getattr(locked, name) != value:
            setattr(locked, name, value)
            changed.append(name)
    return changed


@transaction.atomic
def persona_update(*, persona: Persona, actor, revision: int | None = None, **fields) -> Persona:
    """Change the given fields of ``persona``; ``revision`` is the one the change was based on."""
    require_role(actor, persona.team_id, Role.EDITOR)
    _unknown(fields, PERSONA_FIELDS)
    fields = _clean_rules(_clean_text(fields))
    locked = Persona.objects.select_for_update().get(pk=persona.pk)
    changed = _apply_changes(locked=locked, fields=fields, revision=revision)
    if "name" in changed and _persona_name_taken(locked.team_id, locked.name, exclude_pk=locked.pk):
        raise ValidationError({"name": _persona_name_error(locked.name)})
    if changed:
        locked.revision += 1
        _save_unique(
            locked,
            actor=actor,
            name_error=_persona_name_error(locked.name),
            update_fields=[*changed, "revision", "updated_at"],
        )
        if ASSIGNMENT_FIELDS & set(changed):
            extensions.rules_changed(team_id=locked.team_id)
    _refresh(persona, locked)
    return persona


def _refresh(target, source) -> None:
    for f in type(source)._meta.concrete_fields:
        setattr(target, f.attname, getattr(source, f.attname))


def _set_archived(*, persona: Persona, actor, archived: bool) -> Persona:
    require_role(actor, persona.team_id, Role.EDITOR)
    with transaction.atomic():
        locked = Persona.objects.select_for_update().get(pk=persona.pk)
        if locked.archived != archived:
            locked.archived = archived
            locked.revision += 1
            _stamp(locked, actor)
            locked.save(update_fields=["archived", "revision", "updated_at"])
            if locked.trait_rules:
                extensions.rules_changed(team_id=locked.team_id)
    _refresh(persona, locked)
    return persona


def persona_archive(*, persona: Persona, actor) -> Persona:
    """Hide ``persona`` from lists and pickers; its maps and scenarios stay as they are."""
    return _set_archived(persona=persona, actor=actor, archived=True)


def persona_restore(*, persona: Persona, actor) -> Persona:
    """Bring an archived persona back."""
    return _set_archived(persona=persona, actor=actor, archived=False)


def _map_titles(maps) -> str:
    titles = [_("“%(title)s”") % {"title": m.title} for m in maps]
    if len(titles) <= 5:
        return ", ".join(titles)
    more = len(titles) - 5
    return ngettext("%(titles)s and %(count)s more", "%(titles)s and %(count)s more", more) % {
        "titles": ", ".join(titles[:5]),
        "count": more,
    }


def maps_using(*, persona: Persona | None = None, scenario: Scenario | None = None) -> list:
    """Return the journey maps drawn for ``persona`` (or any of its scenarios) or for ``scenario``.

    Read through the reverse relation ``journey_maps``: personas does not import journeys.
    """
    relation = getattr(Persona, "journey_maps", None)
    if relation is None:  # the journeys app is not installed
        return []
    JourneyMap = relation.rel.related_model
    if persona is not None:
        maps = JourneyMap.objects.filter(Q(persona=persona) | Q(scenario__persona=persona))
    else:
        maps = JourneyMap.objects.filter(scenario=scenario)
    return list(maps.order_by("title").only("pk", "title"))


def persona_delete(*, persona: Persona, actor) -> None:
    """Delete ``persona`` and its scenarios, unless journey maps are drawn for either."""
    require_role(actor, persona.team_id, Role.EDITOR)
    maps = maps_using(persona=persona)
    if maps:
        raise ValidationError(
            {
                NON_FIELD: _(
                    "Journey maps are drawn for this persona: %(maps)s. "
                    "Archive it instead, or give those maps another persona first."
                )
                % {"maps": _map_titles(maps)}
            }
        )
    try:
        with transaction.atomic():
            had_rules = bool(persona.trait_rules)
            persona.delete()
            if had_rules:
                # Its profiles lose it (SET NULL); another persona's rules may fit them now.
                extensions.rules_changed(team_id=persona.team_id)
    except ProtectedError as exc:  # a map was drawn between the check and the delete
        raise ValidationError(
            {NON_FIELD: _("Journey maps use this persona: %(maps)s.") % {"maps": _map_titles(exc.protected_objects)}}
        ) from exc


def scenario_create(*, persona: Persona, actor, **fields) -> Scenario:
    """Add a scenario to ``persona``."""
    require_role(actor, persona.team_id, Role.EDITOR)
    _unknown(fields, SCENARIO_FIELDS)
    fields = _clean_text(fields)
    scenario = Scenario(persona=persona, **fields)
    if scenario.name and _scenario_name_taken(persona.pk, scenario.name):
        raise ValidationError({"name": _scenario_name_error(scenario.name)})
    _save_unique(scenario, actor=actor, name_error=_scenario_name_error(scenario.name))
    return scenario


@transaction.atomic
def scenario_update(*, scenario: Scenario, actor, revision: int | None = None, **fields) -> Scenario:
    """Change the given fields of ``scenario``; ``revision`` is the one the change was based on."""
    require_role(actor, scenario.persona.team_id, Role.EDITOR)
    _unknown(fields, SCENARIO_FIELDS)
    fields = _clean_text(fields)
    locked = Scenario.objects.select_for_update().select_related("persona").get(pk=scenario.pk)
    changed = _apply_changes(locked=locked, fields=fields, revision=revision)
    if "name" in changed and _scenario_name_taken(locked.persona_id, locked.name, exclude_pk=locked.pk):
        raise ValidationError({"name": _scenario_name_error(locked.name)})
    if changed:
        locked.revision += 1
        _save_unique(
            locked,
            actor=actor,
            name_error=_scenario_name_error(locked.name),
            update_fields=[*changed, "revision", "updated_at"],
        )
    _refresh(scenario, locked)
    return scenario


def scenario_delete(*, scenario: Scenario, actor) -> None:
    """Delete ``scenario`` unless journey maps are drawn for it."""
    require_role(actor, scenario.persona.team_id, Role.EDITOR)
    maps = maps_using(scenario=scenario)
    if maps:
        raise ValidationError(
            {
                NON_FIELD: _("Journey maps are drawn for this scenario: %(maps)s. Change their scenario first.")
                % {"maps": _map_titles(maps)}
            }
        )
    try:
        with transaction.atomic():
            scenario.delete()
    except ProtectedError as exc:
        raise ValidationError(
            {NON_FIELD: _("Journey maps use this scenario: %(maps)s.") % {"maps": _map_titles(exc.protected_objects)}}
        ) from exc
