"""State-changing operations on journey maps; the UI, the API, the admin and the demo call these.

Every write to a map or anything on it runs under ``_map_write``: the map row is locked
(``select_for_update``), the caller's revision is checked (a stale one raises ``MapConflict``, a
409 in the API) and the map's revision is raised with an ``F()`` update, all in one transaction.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from personas.models import Persona, Scenario
from teams.access import check_actor
from teams.net import truncate_ip
from teams.signals import DomainEvent, domain_event

from .models import (
    JourneyMap,
    Lane,
    LaneCell,
    MapChange,
    MapTemplate,
    MapVersion,
    PainPoint,
    ShareLink,
    ShareLinkView,
    Stage,
    Touchpoint,
)
from .models.maps import DEFAULT_STAGES, EMOTION_SCORE, Emotion
from .models.sharing import SIGNING_SALT
from .snapshot import (
    PAIN_POINT_FIELDS,
    STAGE_FIELDS,
    TOUCHPOINT_FIELDS,
    map_document,
    pain_point_document,
    stage_document,
    touchpoint_document,
    validate_document,
)

DEFAULT_FUNNEL = {
    "Awareness": Stage.Funnel.TOP,
    "Consideration": Stage.Funnel.MIDDLE,
    "Decision": Stage.Funnel.MIDDLE,
    "Purchase": Stage.Funnel.BOTTOM,
    "Retention": Stage.Funnel.BOTTOM,
    "Advocacy": Stage.Funnel.BOTTOM,
}


class MapConflict(Exception):
    """A write was based on an older revision of the map than the current one."""

    def __init__(self, journey_map: JourneyMap, expected: int | None):
        self.journey_map = journey_map
        self.current_revision = journey_map.revision
        self.expected_revision = expected
        super().__init__(
            gettext(
                "Someone else changed this map (you edited revision %(expected)s; it is now at revision "
                "%(current)s). Nothing was saved."
            )
            % {"expected": expected, "current": journey_map.revision}
        )


def _clean(instance, exclude: list[str] | None = None) -> None:
    instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)


@contextmanager
def _map_write(journey_map: JourneyMap, revision: int | None, actor) -> Iterator[JourneyMap]:
    """Check the actor's role, lock the map, refuse a stale ``revision`` (None skips the check), raise the revision."""
    check_actor(actor, journey_map.team_id)
    with transaction.atomic():
        locked = JourneyMap.objects.select_for_update().get(pk=journey_map.pk)
        if revision is not None and int(revision) != locked.revision:
            raise MapConflict(locked, int(revision))
        yield locked
        now = timezone.now()
        JourneyMap.objects.filter(pk=locked.pk).update(revision=F("revision") + 1, updated_at=now)
        journey_map.revision = locked.revision = locked.revision + 1
        journey_map.updated_at = locked.updated_at = now


def _history_user(actor):
    return actor if getattr(actor, "pk", None) else getattr(getattr(actor, "api_key", None), "created_by", None)


def _set_history_user(obj, actor) -> None:
    obj._history_user = _history_user(actor)


# --- maps -------------------------------------------------------------------------------------


def _check_persona(team_id: int, persona: Persona | None, scenario: Scenario | None) -> None:
    if persona is not None and persona.team_id != team_id:
        raise ValidationError({"persona": gettext("Choose a persona of this map's team.")})
    if scenario is not None:
        if scenario.persona.team_id != team_id:
            raise ValidationError({"scenario": gettext("Choose a scenario of this map's team.")})
        if persona is not None and scenario.persona_id != persona.pk:
            raise ValidationError(
                {
                    "scenario": gettext("This scenario belongs to %(owner)s, not %(persona)s.")
                    % {"owner": scenario.persona.name, "persona": persona.name}
                }
            )


@transaction.atomic
def map_create(
    *,
    team,
    actor,
    title: str,
    description: str = "",
    persona: Persona | None = None,
    scenario: Scenario | None = None,
    stages: list[str] | None = None,
    product: str = "",
) -> JourneyMap:
    """Create a map with the default stages (or the names given)."""
    check_actor(actor, team.pk)
    if scenario is not None and persona is None:
        persona = scenario.persona
    _check_persona(team.pk, persona, scenario)
    journey_map = JourneyMap(
        team=team,
        title=title.strip(),
        description=description,
        product=product.strip(),
        persona=persona,
        scenario=scenario,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _clean(journey_map, exclude=["team", "persona", "scenario", "created_by"])
    journey_map.save()
    names = DEFAULT_STAGES if stages is None else stages
    # The default stages are named in the language of the person creating the map (the active one);
    # their funnel part comes from the English name.
    rows = [
        Stage(
            journey_map=journey_map,
            name=gettext(name) if stages is None else name,
            position=i,
            funnel=DEFAULT_FUNNEL.get(name, ""),
        )
        for i, name in enumerate(names)
    ]
    bulk_create_with_history(rows, Stage, default_user=_history_user(actor))
    return journey_map


def map_update(*, journey_map: JourneyMap, actor, revision: int | None, **fields) -> JourneyMap:
    """Change the map's title, description, product, persona, scenario or status."""
    allowed = {"title", "description", "product", "persona", "scenario", "status"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({next(iter(unknown)): gettext("This field cannot be changed here.")})
    with _map_write(journey_map, revision, actor) as locked:
        for name, value in fields.items():
            setattr(locked, name, value)
        if (
            "scenario" in fields
            and fields["scenario"] is not None
            and "persona" not in fields
            and not locked.persona_id
        ):
            locked.persona = fields["scenario"].persona
        _check_persona(locked.team_id, locked.persona, locked.scenario)
        _clean(locked, exclude=["team", "persona", "scenario", "created_by"])
        locked.save(update_fields=[*fields, "updated_at"] if fields else ["updated_at"])
    for name in fields:
        setattr(journey_map, name, getattr(locked, name))
    return journey_map


@transaction.atomic
def map_delete(*, journey_map: JourneyMap, actor) -> None:
    """Delete the map with everything on it and its versions."""
    check_actor(actor, journey_map.team_id)
    JourneyMap.objects.select_for_update().filter(pk=journey_map.pk).delete()


# --- stages -----------------------------------------------------------------------------------


def stage_create(
    *,
    journey_map: JourneyMap,
    actor,
    revision: int | None,
    name: str,
    description: str = "",
    funnel: str = "",
    position: int | None = None,
) -> Stage:
    """Add a stage at ``position`` (default: at the end)."""
    with _map_write(journey_map, revision, actor) as locked:
        siblings = list(Stage.objects.filter(journey_map=locked).order_by("position", "id"))
        stage = Stage(journey_map=locked, name=name.strip(), description=description, funnel=funnel)
        _clean(stage, exclude=["journey_map", "position"])
        _set_history_user(stage, actor)
        stage.save()
        _place(siblings, stage, position, Stage, actor)
        _record(locked, actor, MapChange.Kind.STAGE_CREATE, obj=stage, after=stage_document(stage, []))
    return stage


def stage_update(*, stage: Stage, actor, revision: int | None, **fields) -> Stage:
    """Change a stage's name, description or funnel part."""
    with _map_write(stage.journey_map, revision, actor) as locked:
        stage = Stage.objects.select_for_update().get(pk=stage.pk)
        for name in fields:
            if name not in STAGE_FIELDS:
                raise ValidationError({name: gettext("This field cannot be changed here.")})
        before = _values(stage, fields)
        for name, value in fields.items():
            setattr(stage, name, value)
        _clean(stage, exclude=["journey_map", "position"])
        _set_history_user(stage, actor)
        stage.save()
        _record_update(locked, actor, MapChange.Kind.STAGE_UPDATE, stage, before)
    return stage


def stage_move(*, stage: Stage, actor, revision: int | None, position: int) -> Stage:
    """Put the stage at ``position`` (0-based) among the map's stages."""
    with _map_write(stage.journey_map, revision, actor) as locked:
        ordered = list(Stage.objects.filter(journey_map=locked).order_by("position", "id"))
        before = [str(s.key) for s in ordered]
        siblings = [s for s in ordered if s.pk != stage.pk]
        stage = Stage.objects.get(pk=stage.pk)
        _place(siblings, stage, position, Stage, actor)
        after = [str(s.key) for s in sorted([*siblings, stage], key=lambda s: s.position)]
        if after != before:
            _record(
                locked,
                actor,
                MapChange.Kind.STAGES_REORDER,
                obj=stage,
                before={"order": before},
                after={"order": after},
            )
    return stage


def stage_reorder(*, journey_map: JourneyMap, actor, revision: int | None, stages: list[int]) -> list[Stage]:
    """Put the map's stages in the order of ``stages`` (every stage id of the map, each once)."""
    with _map_write(journey_map, revision, actor) as locked:
        ordered = list(Stage.objects.filter(journey_map=locked).order_by("position", "id"))
        by_id = {s.pk: s for s in ordered}
        try:
            ids = [int(pk) for pk in stages]
        except (TypeError, ValueError):
            ids = []
        if sorted(ids) != sorted(by_id) or len(set(ids)) != len(ids):
            raise ValidationError(
                {"stages": gettext("List every stage of this map once, by id, in the new order.")}, code="invalid"
            )
        before = [str(s.key) for s in ordered]
        new_order = [by_id[pk] for pk in ids]
        _renumber(new_order, Stage, actor)
        after = [str(s.key) for s in new_order]
        if after != before:
            _record(locked, actor, MapChange.Kind.STAGES_REORDER, before={"order": before}, after={"order": after})
    return new_order


def stage_delete(*, stage: Stage, actor, revision: int | None) -> None:
    """Delete a stage with its touchpoints (they can come back by restoring a version)."""
    with _map_write(stage.journey_map, revision, actor) as locked:
        obj = Stage.objects.get(pk=stage.pk)
        _record_delete(locked, actor, MapChange.Kind.STAGE_DELETE, obj, parent=None)
        _set_history_user(obj, actor)
        obj.delete()
        _renumber(list(Stage.objects.filter(journey_map=locked).order_by("position", "id")), Stage, actor)


def _place(siblings: list, obj, position: int | None, model, actor) -> None:
    """Insert ``obj`` among ``siblings`` at ``position`` and renumber them all 0..n-1."""
    ordered = list(siblings)
    if position is None or position > len(ordered):
        position = len(ordered)
    ordered.insert(max(0, int(position)), obj)
    _renumber(ordered, model, actor)


def _renumber(ordered: list, model, actor) -> None:
    changed = []
    for i, obj in enumerate(ordered):
        if obj.position != i:
            obj.position = i
            changed.append(obj)
    if changed:
        bulk_update_with_history(changed, model, ["position"], default_user=_history_user(actor))


# --- touchpoints ------------------------------------------------------------------------------


def _emotion_defaults(fields: dict) -> None:
    """Derive the emotion score from its label when only the label is given (and the other way)."""
    if "emotion_label" in fields and "emotion" not in fields:
        fields["emotion"] = EMOTION_SCORE.get(Emotion(fields["emotion_label"]), 0)
    elif "emotion" in fields and "emotion_label" not in fields:
        score = int(fields["emotion"])
        fields["emotion_label"] = {
            -2: Emotion.FRUSTRATED,
            -1: Emotion.CONFUSED,
            0: Emotion.NEUTRAL,
            1: Emotion.CONFIDENT,
            2: Emotion.DELIGHTED,
        }.get(score, Emotion.NEUTRAL)
    if fields.get("is_moment") is False:
        fields["moment_kind"] = ""


TOUCHPOINT_EDITABLE = set(TOUCHPOINT_FIELDS)


def touchpoint_create(
    *, stage: Stage, actor, revision: int | None, position: int | None = None, **fields
) -> Touchpoint:
    """Add a touchpoint to a stage at ``position`` (default: at the end)."""
    unknown = set(fields) - TOUCHPOINT_EDITABLE
    if unknown:
        raise ValidationError({next(iter(unknown)): gettext("Unknown field.")})
    _emotion_defaults(fields)
    with _map_write(stage.journey_map, revision, actor) as locked:
        siblings = list(Touchpoint.objects.filter(stage=stage).order_by("position", "id"))
        tp = Touchpoint(stage=stage, **fields)
        _clean(tp, exclude=["stage", "position"])
        _set_history_user(tp, actor)
        tp.save()
        _place(siblings, tp, position, Touchpoint, actor)
        _record(locked, actor, MapChange.Kind.TOUCHPOINT_CREATE, obj=tp, after=touchpoint_document(tp, []))
    return tp


def touchpoint_update(*, touchpoint: Touchpoint, actor, revision: int | None, **fields) -> Touchpoint:
    """Change a touchpoint's fields (not its place: see ``touchpoint_move``)."""
    unknown = set(fields) - TOUCHPOINT_EDITABLE
    if unknown:
        raise ValidationError({next(iter(unknown)): gettext("This field cannot be changed here.")})
    _emotion_defaults(fields)
    with _map_write(touchpoint.stage.journey_map, revision, actor) as locked:
        tp = Touchpoint.objects.select_related("stage").get(pk=touchpoint.pk)
        before = _values(tp, fields)
        for name, value in fields.items():
            setattr(tp, name, value)
        _clean(tp, exclude=["stage", "position"])
        _set_history_user(tp, actor)
        tp.save()
        _record_update(locked, actor, MapChange.Kind.TOUCHPOINT_UPDATE, tp, before)
    return tp


def touchpoint_move(
    *, touchpoint: Touchpoint, actor, revision: int | None, stage: Stage | None = None, position: int | None = None
) -> Touchpoint:
    """Move a touchpoint to ``position`` (0-based) in ``stage`` (default: its own stage)."""
    journey_map = touchpoint.stage.journey_map
    with _map_write(journey_map, revision, actor) as locked:
        tp = Touchpoint.objects.select_related("stage").get(pk=touchpoint.pk)
        target = stage or tp.stage
        if target.journey_map_id != journey_map.pk:
            raise ValidationError({"stage": gettext("Choose a stage of the same map.")})
        before = {"stage": str(tp.stage.key), "position": tp.position}
        _move_touchpoint(tp, target, position, actor)
        after = {"stage": str(target.key), "position": tp.position}
        if after != before:
            _record(locked, actor, MapChange.Kind.TOUCHPOINT_MOVE, obj=tp, before=before, after=after)
    return tp


def _move_touchpoint(tp: Touchpoint, target: Stage, position: int | None, actor) -> None:
    old_stage_id = tp.stage_id
    siblings = [t for t in Touchpoint.objects.filter(stage=target).order_by("position", "id") if t.pk != tp.pk]
    if target.pk != old_stage_id:
        tp.stage = target
        _set_history_user(tp, actor)
        tp.save(update_fields=["stage"])
    _place(siblings, tp, position, Touchpoint, actor)
    if target.pk != old_stage_id:
        _renumber(list(Touchpoint.objects.filter(stage_id=old_stage_id).order_by("position", "id")), Touchpoint, actor)


def touchpoint_delete(*, touchpoint: Touchpoint, actor, revision: int | None) -> None:
    """Delete a touchpoint and its pain points."""
    with _map_write(touchpoint.stage.journey_map, revision, actor) as locked:
        tp = Touchpoint.objects.select_related("stage").get(pk=touchpoint.pk)
        stage_id = tp.stage_id
        _record_delete(locked, actor, MapChange.Kind.TOUCHPOINT_DELETE, tp, parent=tp.stage)
        _set_history_user(tp, actor)
        tp.delete()
        _renumber(list(Touchpoint.objects.filter(stage_id=stage_id).order_by("position", "id")), Touchpoint, actor)


# --- pain points ------------------------------------------------------------------------------


def _pain_point_status(pp: PainPoint) -> None:
    if pp.status == PainPoint.Status.FIXED and pp.fixed_at is None:
        pp.fixed_at = timezone.now()
    elif pp.status != PainPoint.Status.FIXED:
        pp.fixed_at = None


def pain_point_create(*, touchpoint: Touchpoint, actor, revision: int | None, **fields) -> PainPoint:
    """Add a pain point to a touchpoint."""
    unknown = set(fields) - set(PAIN_POINT_FIELDS)
    if unknown:
        raise ValidationError({next(iter(unknown)): gettext("Unknown field.")})
    with _map_write(touchpoint.stage.journey_map, revision, actor) as locked:
        pp = PainPoint(touchpoint=touchpoint, **fields)
        _pain_point_status(pp)
        _clean(pp, exclude=["touchpoint"])
        _set_history_user(pp, actor)
        pp.save()
        _record(locked, actor, MapChange.Kind.PAIN_POINT_CREATE, obj=pp, after=pain_point_document(pp))
    return pp


def pain_point_update(*, pain_point: PainPoint, actor, revision: int | None, **fields) -> PainPoint:
    """Change a pain point: its severity, status (fixed stamps the time), evidence or text."""
    unknown = set(fields) - set(PAIN_POINT_FIELDS)
    if unknown:
        raise ValidationError({next(iter(unknown)): gettext("This field cannot be changed here.")})
    with _map_write(pain_point.touchpoint.stage.journey_map, revision, actor) as locked:
        pp = PainPoint.objects.get(pk=pain_point.pk)
        before = _values(pp, [*fields, "fixed_at"])
        for name, value in fields.items():
            setattr(pp, name, value)
        _pain_point_status(pp)
        _clean(pp, exclude=["touchpoint"])
        _set_history_user(pp, actor)
        pp.save()
        _record_update(locked, actor, MapChange.Kind.PAIN_POINT_UPDATE, pp, before)
    return pp


def pain_point_delete(*, pain_point: PainPoint, actor, revision: int | None) -> None:
    """Delete a pain point."""
    with _map_write(pain_point.touchpoint.stage.journey_map, revision, actor) as locked:
        pp = PainPoint.objects.select_related("touchpoint").get(pk=pain_point.pk)
        _record_delete(locked, actor, MapChange.Kind.PAIN_POINT_DELETE, pp, parent=pp.touchpoint)
        _set_history_user(pp, actor)
        pp.delete()


# --- board changes and undo -------------------------------------------------------------------
#
# Every write above that a person makes on the board records a ``MapChange`` (inside its
# transaction) with only what it touched: the fields it changed (old and new values), the stages'
# order, a touchpoint's place, or the whole element it added or deleted. ``map_undo`` puts back the
# person's latest change that is not undone yet, only when what it touched is still as that change
# left it: a later edit by anyone (or a restored version) makes the undo a refusal, never a loss.

_MODELS = {"stage": Stage, "touchpoint": Touchpoint, "pain_point": PainPoint}


class UndoRefused(Exception):
    """The change cannot be undone: what it touched was changed again since, or is gone."""

    def __init__(self, change: MapChange):
        self.change = change
        super().__init__(
            gettext(
                "Your last change (%(change)s) cannot be undone: “%(name)s” was changed again since. Nothing was "
                "changed."
            )
            % {"change": change.get_kind_display(), "name": change.label}
        )


def _to_json(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _values(obj, names) -> dict:
    return {name: _to_json(getattr(obj, name)) for name in names}


def _from_json(model, name: str, value):
    return model._meta.get_field(name).to_python(value)


def _record(journey_map: JourneyMap, actor, kind: str, *, obj=None, before=None, after=None) -> MapChange | None:
    """Keep one board edit for its author's undo; the system's writes (no person) are not kept."""
    user = _history_user(actor)
    if user is None:
        return None
    return MapChange.objects.create(
        journey_map_id=journey_map.pk,
        kind=kind,
        key=getattr(obj, "key", None),
        label=str(obj or journey_map)[:200],
        before=before or {},
        after=after or {},
        revision=journey_map.revision + 1,
        created_by=user,
    )


def _record_update(journey_map: JourneyMap, actor, kind: str, obj, before: dict) -> None:
    after = _values(obj, before)
    changed = [name for name in before if before[name] != after[name]]
    if changed:
        _record(
            journey_map,
            actor,
            kind,
            obj=obj,
            before={n: before[n] for n in changed},
            after={n: after[n] for n in changed},
        )


def _element(journey_map: JourneyMap, kind: str, key):
    """Return the stage, touchpoint or pain point with ``key`` on the map, or None."""
    model = _MODELS[kind]
    path = {"stage": "journey_map", "touchpoint": "stage__journey_map", "pain_point": "touchpoint__stage__journey_map"}
    return model.objects.filter(**{path[kind]: journey_map, "key": key}).first() if key else None


def _element_document(journey_map: JourneyMap, kind: str, key) -> dict | None:
    """Return the element with ``key`` as the map document has it (with its touchpoints, pain points)."""
    key = str(key)
    for stage in map_document(journey_map)["stages"]:
        if kind == "stage" and stage["key"] == key:
            return stage
        for tp in stage["touchpoints"]:
            if kind == "touchpoint" and tp["key"] == key:
                return tp
            for pp in tp["pain_points"]:
                if kind == "pain_point" and pp["key"] == key:
                    return pp
    return None


def _record_delete(journey_map: JourneyMap, actor, kind: str, obj, *, parent) -> None:
    element = kind.removesuffix("_delete")
    if _history_user(actor) is None:
        return
    before = {
        "element": _element_document(journey_map, element, obj.key),
        "position": getattr(obj, "position", None),
        "parent": str(parent.key) if parent is not None else None,
    }
    _record(journey_map, actor, kind, obj=obj, before=before)


def _undo_update(journey_map: JourneyMap, change: MapChange, actor) -> None:
    element = change.kind.removesuffix("_update")
    obj = _element(journey_map, element, change.key)
    if obj is None or _values(obj, change.after) != change.after:
        raise UndoRefused(change)
    model = _MODELS[element]
    for name, value in change.before.items():
        setattr(obj, name, _from_json(model, name, value))
    _set_history_user(obj, actor)
    obj.save(update_fields=list(change.before))


def _undo_reorder(journey_map: JourneyMap, change: MapChange, actor) -> None:
    stages = list(Stage.objects.filter(journey_map=journey_map).order_by("position", "id"))
    if [str(s.key) for s in stages] != change.after["order"]:
        raise UndoRefused(change)
    by_key = {str(s.key): s for s in stages}
    _renumber([by_key[k] for k in change.before["order"]], Stage, actor)


def _undo_move(journey_map: JourneyMap, change: MapChange, actor) -> None:
    tp = _element(journey_map, "touchpoint", change.key)
    origin = _element(journey_map, "stage", change.before["stage"])
    if (
        tp is None
        or origin is None
        or str(tp.stage.key) != change.after["stage"]
        or tp.position != change.after["position"]
    ):
        raise UndoRefused(change)
    _move_touchpoint(tp, origin, change.before["position"], actor)


def _undo_create(journey_map: JourneyMap, change: MapChange, actor) -> None:
    element = change.kind.removesuffix("_create")
    obj = _element(journey_map, element, change.key)
    # Anything added to it or changed on it since (a touchpoint in a new stage) would be lost.
    if obj is None or _element_document(journey_map, element, change.key) != change.after:
        raise UndoRefused(change)
    _set_history_user(obj, actor)
    obj.delete()
    if element == "stage":
        _renumber(list(Stage.objects.filter(journey_map=journey_map).order_by("position", "id")), Stage, actor)
    elif element == "touchpoint":
        _renumber(list(Touchpoint.objects.filter(stage_id=obj.stage_id).order_by("position", "id")), Touchpoint, actor)


def _build(model, fields: list[str], data: dict, **parent):
    obj = model(key=uuid.UUID(data["key"]), **parent)
    for name in fields:
        setattr(obj, name, _from_json(model, name, data[name]))
    return obj


def _undo_delete(journey_map: JourneyMap, change: MapChange, actor) -> None:
    element = change.kind.removesuffix("_delete")
    data, position, parent_key = change.before["element"], change.before["position"], change.before["parent"]
    if data is None or _element(journey_map, element, change.key) is not None:
        raise UndoRefused(change)
    hist_user = _history_user(actor)
    if element == "stage":
        siblings = list(Stage.objects.filter(journey_map=journey_map).order_by("position", "id"))
        stage = _build(Stage, STAGE_FIELDS, data, journey_map=journey_map)
        _set_history_user(stage, actor)
        stage.save()
        _place(siblings, stage, position, Stage, actor)
        touchpoints = [(stage, i, t) for i, t in enumerate(data["touchpoints"])]
    else:
        parent = _element(journey_map, "stage" if element == "touchpoint" else "touchpoint", parent_key)
        if parent is None:
            raise UndoRefused(change)
        if element == "pain_point":
            pp = _build(PainPoint, PAIN_POINT_FIELDS, data, touchpoint=parent)
            _pain_point_status(pp)
            _set_history_user(pp, actor)
            pp.save()
            return
        touchpoints = [(parent, position, data)]
    new_tps, new_pps = [], []
    for stage, index, t in touchpoints:
        tp = _build(Touchpoint, TOUCHPOINT_FIELDS, t, stage=stage, position=index)
        new_tps.append(tp)
        for p in t["pain_points"]:
            pp = _build(PainPoint, PAIN_POINT_FIELDS, p, touchpoint=tp)
            _pain_point_status(pp)
            new_pps.append(pp)
    if element == "touchpoint":
        parent = touchpoints[0][0]
        siblings = list(Touchpoint.objects.filter(stage=parent).order_by("position", "id"))
        tp = new_tps[0]
        _set_history_user(tp, actor)
        tp.save()
        _place(siblings, tp, position, Touchpoint, actor)
    elif new_tps:
        bulk_create_with_history(new_tps, Touchpoint, default_user=hist_user)
    for pp in new_pps:
        pp.touchpoint_id = pp.touchpoint.pk
    if new_pps:
        bulk_create_with_history(new_pps, PainPoint, default_user=hist_user)


_UNDO = {
    MapChange.Kind.STAGE_UPDATE: _undo_update,
    MapChange.Kind.TOUCHPOINT_UPDATE: _undo_update,
    MapChange.Kind.PAIN_POINT_UPDATE: _undo_update,
    MapChange.Kind.STAGE_CREATE: _undo_create,
    MapChange.Kind.TOUCHPOINT_CREATE: _undo_create,
    MapChange.Kind.PAIN_POINT_CREATE: _undo_create,
    MapChange.Kind.STAGE_DELETE: _undo_delete,
    MapChange.Kind.TOUCHPOINT_DELETE: _undo_delete,
    MapChange.Kind.PAIN_POINT_DELETE: _undo_delete,
    MapChange.Kind.STAGES_REORDER: _undo_reorder,
    MapChange.Kind.TOUCHPOINT_MOVE: _undo_move,
}


def map_change_last(*, journey_map: JourneyMap, user) -> MapChange | None:
    """Return ``user``'s latest change to the map that is not undone yet (what undo would put back)."""
    user = _history_user(user)
    if user is None:
        return None
    return MapChange.objects.filter(journey_map=journey_map, created_by=user, undone_at__isnull=True).first()


def map_undo(*, journey_map: JourneyMap, actor, revision: int | None) -> MapChange:
    """Undo the actor's latest change to the map that is not undone yet, and mark it undone.

    The undo is itself a change of the map (the revision rises and the history records it), but
    not one that undo takes back: undoing again goes one change further back. Raises
    ``UndoRefused`` (nothing changed) when what the change touched was changed again since.
    """
    with _map_write(journey_map, revision, actor) as locked:
        change = map_change_last(journey_map=locked, user=actor)
        if change is None:
            raise ValidationError(
                gettext("Nothing to undo: you have no change on this map to take back."), code="nothing_to_undo"
            )
        _UNDO[change.kind](locked, change, actor)
        change.undone_at = timezone.now()
        change.save(update_fields=["undone_at"])
    return change


# --- versions ---------------------------------------------------------------------------------


def map_publish(*, journey_map: JourneyMap, actor, note: str = "", revision: int | None = None) -> MapVersion:
    """Freeze the draft into the next immutable version and announce ``map.published``.

    Publishing is a change to the map: it raises the revision (so a second publish with the same
    ``If-Match`` is stale, a 409), and a draft identical to the latest version is refused (there is
    nothing to publish) rather than frozen again as an empty version.
    """
    check_actor(actor, journey_map.team_id)
    with transaction.atomic():
        locked = (
            JourneyMap.objects.select_for_update(of=("self",))
            .select_related("persona", "scenario")
            .get(pk=journey_map.pk)
        )
        if revision is not None and int(revision) != locked.revision:
            raise MapConflict(locked, int(revision))
        latest = MapVersion.objects.filter(journey_map=locked).order_by("-number").first()
        number = (latest.number if latest else 0) + 1
        first = locked.status == JourneyMap.Status.DRAFT
        if first:
            # The first publication makes the map active; that is a change to the map row.
            locked.status = JourneyMap.Status.ACTIVE
        document = map_document(locked)
        if latest is not None and latest.snapshot == document:
            raise ValidationError(
                gettext("Nothing to publish: the draft is the same as version %(number)s."),
                code="nothing_to_publish",
                params={"number": latest.number},
            )
        now = timezone.now()
        locked.revision += 1
        JourneyMap.objects.filter(pk=locked.pk).update(status=locked.status, revision=locked.revision, updated_at=now)
        journey_map.status, journey_map.revision, journey_map.updated_at = locked.status, locked.revision, now
        version = MapVersion.objects.create(
            journey_map=locked,
            number=number,
            note=note.strip(),
            snapshot=document,
            source_revision=locked.revision,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        domain_event.send(
            sender=MapVersion,
            team_id=locked.team_id,
            event=DomainEvent.MAP_PUBLISHED,
            items=[
                {
                    "map": {"id": locked.pk, "title": locked.title},
                    "version": {"number": number, "note": version.note, "created_at": version.created_at.isoformat()},
                    "published_by": getattr(actor, "username", None),
                    "touchpoints": sum(len(s["touchpoints"]) for s in document["stages"]),
                }
            ],
        )
    return version


def map_restore(*, journey_map: JourneyMap, actor, number: int, revision: int | None = None) -> JourneyMap:
    """Make the draft what version ``number`` was, keeping every element's key and row.

    Elements are matched by key: rows still on the map are updated in place (so owners, SLAs and
    feedback attached to them survive), missing ones are created with their old key, and rows
    the version did not have are deleted.
    """
    try:
        version = MapVersion.objects.get(journey_map=journey_map, number=number)
    except MapVersion.DoesNotExist:
        raise ValidationError({"number": gettext("This map has no version %(number)s.") % {"number": number}}) from None
    document = validate_document(version.snapshot)
    with _map_write(journey_map, revision, actor) as locked:
        _apply_document(locked, document, actor, restore_map_fields=True)
    return journey_map


def _apply_document(journey_map: JourneyMap, document: dict, actor, *, restore_map_fields: bool) -> None:
    """Reconcile the map's stages, touchpoints and pain points with ``document`` by key."""
    hist_user = _history_user(actor)
    if restore_map_fields:
        meta = document["map"]
        journey_map.title = meta["title"]
        journey_map.description = meta["description"]
        journey_map.product = meta.get("product", "")
        journey_map.save(update_fields=["title", "description", "product"])

    stages = {str(s.key): s for s in Stage.objects.filter(journey_map=journey_map)}
    tps = {str(t.key): t for t in Touchpoint.objects.filter(stage__journey_map=journey_map)}
    pps = {str(p.key): p for p in PainPoint.objects.filter(touchpoint__stage__journey_map=journey_map)}
    want_st = {s["key"] for s in document["stages"]}
    want_tp = {t["key"] for s in document["stages"] for t in s["touchpoints"]}
    want_pp = {p["key"] for s in document["stages"] for t in s["touchpoints"] for p in t["pain_points"]}

    # Delete first (pain points, touchpoints, stages) so keys freed by a move cannot collide.
    PainPoint.objects.filter(pk__in=[pps[k].pk for k in set(pps) - want_pp]).delete()
    Touchpoint.objects.filter(pk__in=[tps[k].pk for k in set(tps) - want_tp]).delete()
    Stage.objects.filter(pk__in=[stages[k].pk for k in set(stages) - want_st]).delete()

    new_st, upd_st = [], []
    for i, s in enumerate(document["stages"]):
        obj = stages.get(s["key"]) or Stage(journey_map=journey_map, key=uuid.UUID(s["key"]))
        obj.name, obj.description, obj.funnel, obj.position = s["name"], s["description"], s["funnel"], i
        (upd_st if obj.pk else new_st).append(obj)
    if new_st:
        bulk_create_with_history(new_st, Stage, default_user=hist_user)
    if upd_st:
        bulk_update_with_history(upd_st, Stage, ["name", "description", "funnel", "position"], default_user=hist_user)
    stage_by_key = {str(s.key): s for s in [*new_st, *upd_st]}

    new_tp, upd_tp = [], []
    for s in document["stages"]:
        for i, t in enumerate(s["touchpoints"]):
            obj = tps.get(t["key"]) or Touchpoint(key=uuid.UUID(t["key"]))
            obj.stage = stage_by_key[s["key"]]
            obj.position = i
            for f in TOUCHPOINT_FIELDS:
                value = t[f]
                if f == "evidence_verified_at" and value:
                    value = datetime.date.fromisoformat(value)
                setattr(obj, f, value)
            (upd_tp if obj.pk else new_tp).append(obj)
    if new_tp:
        bulk_create_with_history(new_tp, Touchpoint, default_user=hist_user)
    if upd_tp:
        bulk_update_with_history(upd_tp, Touchpoint, ["stage", "position", *TOUCHPOINT_FIELDS], default_user=hist_user)
    tp_by_key = {str(t.key): t for t in [*new_tp, *upd_tp]}

    new_pp, upd_pp = [], []
    for s in document["stages"]:
        for t in s["touchpoints"]:
            for p in t["pain_points"]:
                obj = pps.get(p["key"]) or PainPoint(key=uuid.UUID(p["key"]))
                obj.touchpoint = tp_by_key[t["key"]]
                for f in PAIN_POINT_FIELDS:
                    value = p[f]
                    if f == "evidence_verified_at" and value:
                        value = datetime.date.fromisoformat(value)
                    setattr(obj, f, value)
                _pain_point_status(obj)
                (upd_pp if obj.pk else new_pp).append(obj)
    if new_pp:
        bulk_create_with_history(new_pp, PainPoint, default_user=hist_user)
    if upd_pp:
        bulk_update_with_history(
            upd_pp, PainPoint, ["touchpoint", "fixed_at", *PAIN_POINT_FIELDS], default_user=hist_user
        )
    _apply_lanes(journey_map, document.get("lanes", []), stage_by_key, hist_user)


def _apply_lanes(journey_map: JourneyMap, lanes: list[dict], stage_by_key: dict, hist_user) -> None:
    """Reconcile the map's lanes with the document's by key; cells are replaced whole."""
    existing = {str(lane.key): lane for lane in Lane.objects.filter(journey_map=journey_map)}
    wanted = {lane["key"] for lane in lanes}
    Lane.objects.filter(pk__in=[existing[k].pk for k in set(existing) - wanted]).delete()
    new, upd = [], []
    for i, raw in enumerate(lanes):
        obj = existing.get(raw["key"]) or Lane(journey_map=journey_map, key=uuid.UUID(raw["key"]))
        obj.kind, obj.title, obj.position = raw["kind"], raw["title"], i
        (upd if obj.pk else new).append(obj)
    if new:
        bulk_create_with_history(new, Lane, default_user=hist_user)
    if upd:
        bulk_update_with_history(upd, Lane, ["kind", "title", "position"], default_user=hist_user)
    by_key = {str(lane.key): lane for lane in [*new, *upd]}
    LaneCell.objects.filter(lane__journey_map=journey_map).delete()
    cells = [
        LaneCell(lane=by_key[raw["key"]], stage=stage_by_key[cell["stage"]], text=cell["text"])
        for raw in lanes
        for cell in raw["cells"]
    ]
    if cells:
        bulk_create_with_history(cells, LaneCell, default_user=hist_user)


# --- swimlanes --------------------------------------------------------------------------------

LANE_FIELDS = ["kind", "title"]


def lane_create(
    *, journey_map: JourneyMap, actor, revision: int | None, kind: str, title: str = "", position: int | None = None
) -> Lane:
    """Add a lane under the map's stages at ``position`` (default: at the bottom)."""
    with _map_write(journey_map, revision, actor) as locked:
        siblings = list(Lane.objects.filter(journey_map=locked).order_by("position", "id"))
        lane = Lane(journey_map=locked, kind=kind, title=(title or "").strip())
        _clean(lane, exclude=["journey_map", "position"])
        _set_history_user(lane, actor)
        lane.save()
        _place(siblings, lane, position, Lane, actor)
    return lane


def lanes_add_standard(*, journey_map: JourneyMap, actor, revision: int | None) -> list[Lane]:
    """Add, at the bottom, one lane of every kind the map does not have yet (the canvas designers expect)."""
    with _map_write(journey_map, revision, actor) as locked:
        existing = list(Lane.objects.filter(journey_map=locked).order_by("position", "id"))
        have = {lane.kind for lane in existing}
        new = [
            Lane(journey_map=locked, kind=kind, position=len(existing) + i)
            for i, kind in enumerate(k for k in Lane.Kind.values if k not in have)
        ]
        if new:
            bulk_create_with_history(new, Lane, default_user=_history_user(actor))
    return new


def lane_update(*, lane: Lane, actor, revision: int | None, **fields) -> Lane:
    """Rename a lane or change its kind (a text lane's cells stay, shown again if it becomes text again)."""
    with _map_write(lane.journey_map, revision, actor):
        lane = Lane.objects.select_for_update().get(pk=lane.pk)
        for name, value in fields.items():
            if name not in LANE_FIELDS:
                raise ValidationError({name: gettext("This field cannot be changed here.")})
            setattr(lane, name, value.strip() if name == "title" else value)
        _clean(lane, exclude=["journey_map", "position"])
        _set_history_user(lane, actor)
        lane.save()
    return lane


def lane_move(*, lane: Lane, actor, revision: int | None, position: int) -> Lane:
    """Put the lane at ``position`` (0-based) among the map's lanes."""
    with _map_write(lane.journey_map, revision, actor) as locked:
        siblings = [x for x in Lane.objects.filter(journey_map=locked).order_by("position", "id") if x.pk != lane.pk]
        lane = Lane.objects.get(pk=lane.pk)
        _place(siblings, lane, position, Lane, actor)
    return lane


def lane_delete(*, lane: Lane, actor, revision: int | None) -> None:
    """Delete a lane with what it says (a version that had it can bring it back)."""
    with _map_write(lane.journey_map, revision, actor) as locked:
        obj = Lane.objects.get(pk=lane.pk)
        _set_history_user(obj, actor)
        obj.delete()
        _renumber(list(Lane.objects.filter(journey_map=locked).order_by("position", "id")), Lane, actor)


def _lines(text: str) -> str:
    """A cell's text with browsers' CRLF line ends as LF (one entry per line), trimmed."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _check_cell(lane: Lane, stage: Stage) -> None:
    if stage.journey_map_id != lane.journey_map_id:
        raise ValidationError({"stage": gettext("Choose a stage of this lane's map.")})
    if not lane.is_text:
        raise ValidationError(
            {"lane": gettext("“%(lane)s” is drawn from the map itself: it has no text of its own.") % {"lane": lane}}
        )


def lane_cell_create(*, lane: Lane, stage: Stage, actor, revision: int | None, text: str = "") -> LaneCell:
    """Write what a text lane says under a stage (one cell per lane and stage)."""
    _check_cell(lane, stage)
    with _map_write(lane.journey_map, revision, actor):
        existing = LaneCell.objects.filter(lane=lane, stage=stage).first()
        if existing is not None:
            raise ValidationError(
                {
                    "stage": gettext("This lane already says something under this stage: change cell %(id)s.")
                    % {"id": existing.pk}
                }
            )
        cell = LaneCell(lane=lane, stage=stage, text=_lines(text))
        _clean(cell, exclude=["lane", "stage"])
        _set_history_user(cell, actor)
        cell.save()
    return cell


def lane_cell_update(*, cell: LaneCell, actor, revision: int | None, text: str) -> LaneCell:
    """Change what a cell says."""
    with _map_write(cell.lane.journey_map, revision, actor):
        cell = LaneCell.objects.select_for_update().select_related("lane").get(pk=cell.pk)
        cell.text = _lines(text)
        _clean(cell, exclude=["lane", "stage"])
        _set_history_user(cell, actor)
        cell.save()
    return cell


def lane_cell_delete(*, cell: LaneCell, actor, revision: int | None) -> None:
    with _map_write(cell.lane.journey_map, revision, actor):
        obj = LaneCell.objects.get(pk=cell.pk)
        _set_history_user(obj, actor)
        obj.delete()


def lane_cell_set(*, lane: Lane, stage: Stage, actor, revision: int | None, text: str) -> LaneCell | None:
    """Make the cell of ``lane`` under ``stage`` say ``text`` (the board's inline form): empty text removes it."""
    _check_cell(lane, stage)
    cell = LaneCell.objects.filter(lane=lane, stage=stage).select_related("lane__journey_map").first()
    text = (text or "").strip()
    if cell is None:
        return lane_cell_create(lane=lane, stage=stage, actor=actor, revision=revision, text=text) if text else None
    if not text:
        lane_cell_delete(cell=cell, actor=actor, revision=revision)
        return None
    return lane_cell_update(cell=cell, actor=actor, revision=revision, text=text)


# --- import / export --------------------------------------------------------------------------


def map_export(*, journey_map: JourneyMap) -> dict:
    """Return the draft as a map document (the same structure as a version snapshot)."""
    return {**map_document(journey_map), "exported_at": timezone.now().isoformat()}


@transaction.atomic
def map_import(*, team, actor, document, title: str = "") -> JourneyMap:
    """Create a new map in ``team`` from a map document; invalid documents create nothing.

    Keys are kept, so the new map can be compared with versions of the map it came from. The
    persona and scenario are matched by name in the target team (left empty when not found).
    """
    clean = validate_document(document)
    meta = clean["map"]
    persona = Persona.objects.filter(team=team, name__iexact=meta["persona"]).first() if meta["persona"] else None
    scenario = (
        Scenario.objects.filter(persona=persona, name__iexact=meta["scenario"]).first()
        if persona and meta["scenario"]
        else None
    )
    journey_map = map_create(
        team=team,
        actor=actor,
        title=(title or meta["title"]).strip(),
        description=meta["description"],
        product=meta.get("product", ""),
        persona=persona,
        scenario=scenario,
        stages=[],
    )
    _apply_document(journey_map, clean, actor, restore_map_fields=False)
    return journey_map


# --- templates --------------------------------------------------------------------------------


def _template_document(journey_map: JourneyMap) -> dict:
    """The map's draft as a template: structure and texts, without keys, persona, scenario or evidence dates.

    A template is a starting point for another journey, so what ties it to this map's customers
    (its persona, verified evidence, resolved pain points) stays behind.
    """
    document = map_document(journey_map)
    document["map"] = {**document["map"], "persona": None, "scenario": None, "status": JourneyMap.Status.DRAFT}
    # Without stage keys a lane's cells name their stage by its place on the map.
    index = {stage["key"]: i for i, stage in enumerate(document["stages"])}
    for lane in document.get("lanes", []):
        del lane["key"]
        lane["cells"] = [{"stage": index[cell["stage"]], "text": cell["text"]} for cell in lane["cells"]]
    for stage in document["stages"]:
        del stage["key"]
        for touchpoint in stage["touchpoints"]:
            del touchpoint["key"]
            touchpoint["evidence_verified_at"] = None
            touchpoint["pain_points"] = [
                {**{k: v for k, v in pp.items() if k != "key"}, "evidence_verified_at": None}
                for pp in touchpoint["pain_points"]
                if pp["status"] != PainPoint.Status.FIXED
            ]
    return document


@transaction.atomic
def map_template_create(*, journey_map: JourneyMap, actor, name: str, description: str = "") -> MapTemplate:
    """Save the map's draft as one of its team's templates."""
    check_actor(actor, journey_map.team_id)
    template = MapTemplate(
        team_id=journey_map.team_id,
        name=name.strip(),
        description=description.strip(),
        document=_template_document(journey_map),
        source_map=journey_map,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _clean(template, exclude=["team", "source_map", "created_by"])
    template.save()
    return template


@transaction.atomic
def map_template_delete(*, template: MapTemplate, actor) -> None:
    """Delete a team template; maps started from it keep everything."""
    check_actor(actor, template.team_id)
    template.delete()


def map_create_from_template(*, team, actor, title: str = "", starter: str = "", template: MapTemplate | None = None):
    """Create a map from a built-in template (``starter``, its key) or a team template.

    Built-in templates are written in the actor's language (the active one). Templates hold no keys,
    so each new map gets its own and two maps started from one template are not versions of each other.
    """
    from .starters import BY_KEY

    check_actor(actor, team.pk)
    if template is not None:
        if template.team_id != team.pk:
            raise ValidationError({"template": gettext("This template belongs to another team.")})
        document = template.document
        default_title = template.name
    else:
        if starter not in BY_KEY:
            raise ValidationError({"starter": gettext("There is no template %(key)s.") % {"key": repr(starter)}})
        document = BY_KEY[starter].document()
        default_title = document["map"]["title"]
    return map_import(team=team, actor=actor, document=document, title=(title or "").strip() or default_title)


# --- share links ------------------------------------------------------------------------------

SHARE_LINK_MAX_DAYS = 365


class ShareLinkInvalid(Exception):
    """A share link that does not open: forged, unknown, revoked or expired (``reason`` says which)."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@transaction.atomic
def share_link_create(
    *, journey_map: JourneyMap, actor, expires_in_days: int = 30, version: MapVersion | None = None, label: str = ""
) -> ShareLink:
    """Make a read-only link to the map's draft (or to one of its versions) that expires."""
    check_actor(actor, journey_map.team_id)
    if not 1 <= expires_in_days <= SHARE_LINK_MAX_DAYS:
        raise ValidationError(
            {"expires_in_days": gettext("Give a number of days from 1 to %(max)s.") % {"max": SHARE_LINK_MAX_DAYS}}
        )
    if version is not None and version.journey_map_id != journey_map.pk:
        raise ValidationError({"version": gettext("This version belongs to another map.")})
    link = ShareLink(
        team_id=journey_map.team_id,
        journey_map=journey_map,
        version=version,
        label=label.strip(),
        expires_at=timezone.now() + datetime.timedelta(days=expires_in_days),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _clean(link, exclude=["team", "journey_map", "version", "created_by"])
    link.save()
    return link


@transaction.atomic
def share_link_revoke(*, link: ShareLink, actor) -> ShareLink:
    """Stop the link working at once; its views stay logged. Revoking twice changes nothing."""
    check_actor(actor, link.team_id)
    ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    link.refresh_from_db(fields=["revoked_at"])
    return link


def share_link_open(*, token: str, ip: str = "", user_agent: str = "") -> tuple[ShareLink, dict]:
    """Return the link and the map document it shows, logging the view; raise ``ShareLinkInvalid``."""
    try:
        payload = signing.Signer(salt=SIGNING_SALT).unsign_object(token)
        link_id, nonce = int(payload["id"]), str(payload["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ShareLinkInvalid("invalid") from None
    link = ShareLink.objects.select_related("journey_map", "version", "team").filter(pk=link_id, nonce=nonce).first()
    if link is None:
        raise ShareLinkInvalid("invalid")
    if link.revoked_at is not None:
        raise ShareLinkInvalid("revoked")
    if link.expires_at <= timezone.now():
        raise ShareLinkInvalid("expired")
    document = link.version.snapshot if link.version_id else map_document(link.journey_map)
    ShareLinkView.objects.create(link=link, ip=truncate_ip(ip), user_agent=(user_agent or "")[:200])
    return link, document
