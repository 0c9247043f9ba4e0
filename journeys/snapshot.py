"""The map document: a version snapshot, the export format and the import format are one thing.

A document is JSON::

    {"format": "waymark.journey-map", "format_version": 1,
     "map": {"title", "description", "product", "status", "persona", "scenario"},
     "stages": [{"key", "name", "description", "funnel",
                 "touchpoints": [{"key", "name", "channel", "description", "emotion", "emotion_label",
                                  "is_moment", "moment_kind", "metric_name", "evidence_source",
                                  "evidence_verified_at",
                                  "pain_points": [{"key", "title", "description", "severity", "status",
                                                   "evidence_source", "evidence_verified_at"}]}]}],
     "lanes": [{"key", "kind", "title", "cells": [{"stage": "<stage key>", "text"}]}]}

``lanes`` (the swimlanes under the stages) is there only when the map has some, so documents of
maps without lanes read as before. Only text lanes carry cells; in a document without stage keys
(a template) a cell's ``stage`` is the stage's 0-based index.

Order in the lists is the order on the map. Every stage, touchpoint and pain point carries its
stable ``key`` (a UUID), so two documents can be compared element by element (``diff_documents``).
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext, gettext_noop

from .models import (
    Channel,
    Emotion,
    EvidenceSource,
    JourneyMap,
    Lane,
    LaneCell,
    MomentKind,
    PainPoint,
    Stage,
    Touchpoint,
)

FORMAT = "waymark.journey-map"
FORMAT_VERSION = 1

MAP_FIELDS = ["title", "description", "product", "status", "persona", "scenario"]
STAGE_FIELDS = ["name", "description", "funnel"]
TOUCHPOINT_FIELDS = [
    "name",
    "channel",
    "description",
    "emotion",
    "emotion_label",
    "is_moment",
    "moment_kind",
    "metric_name",
    "evidence_source",
    "evidence_verified_at",
]
PAIN_POINT_FIELDS = ["title", "description", "severity", "status", "evidence_source", "evidence_verified_at"]


def _date(value: datetime.date | None) -> str | None:
    return value.isoformat() if value else None


def stage_document(stage: Stage, touchpoints: list[dict]) -> dict:
    return {
        "key": str(stage.key),
        "name": stage.name,
        "description": stage.description,
        "funnel": stage.funnel,
        "touchpoints": touchpoints,
    }


def touchpoint_document(tp: Touchpoint, pain_points: list[dict]) -> dict:
    return {
        "key": str(tp.key),
        "name": tp.name,
        "channel": tp.channel,
        "description": tp.description,
        "emotion": tp.emotion,
        "emotion_label": tp.emotion_label,
        "is_moment": tp.is_moment,
        "moment_kind": tp.moment_kind,
        "metric_name": tp.metric_name,
        "evidence_source": tp.evidence_source,
        "evidence_verified_at": _date(tp.evidence_verified_at),
        "pain_points": pain_points,
    }


def pain_point_document(pp: PainPoint) -> dict:
    return {
        "key": str(pp.key),
        "title": pp.title,
        "description": pp.description,
        "severity": pp.severity,
        "status": pp.status,
        "evidence_source": pp.evidence_source,
        "evidence_verified_at": _date(pp.evidence_verified_at),
    }


def lanes_document(journey_map: JourneyMap, stage_keys: dict[int, str]) -> list[dict]:
    """Return the map's lanes in order, each text lane with its non-empty cells in stage order."""
    lanes = list(Lane.objects.filter(journey_map=journey_map).order_by("position", "id"))
    if not lanes:
        return []
    cells: dict[int, list[dict]] = {}
    for cell in LaneCell.objects.filter(lane__journey_map=journey_map).order_by("stage__position", "stage_id"):
        if cell.text and cell.stage_id in stage_keys:
            cells.setdefault(cell.lane_id, []).append({"stage": stage_keys[cell.stage_id], "text": cell.text})
    return [
        {
            "key": str(lane.key),
            "kind": lane.kind,
            "title": lane.title,
            "cells": cells.get(lane.pk, []) if lane.is_text else [],
        }
        for lane in lanes
    ]


def map_document(journey_map: JourneyMap) -> dict:
    """Return the whole draft of ``journey_map`` as a document, in five queries whatever its size."""
    stages = list(Stage.objects.filter(journey_map=journey_map).order_by("position", "id"))
    touchpoints = list(Touchpoint.objects.filter(stage__journey_map=journey_map).order_by("position", "id"))
    pain_points = list(
        PainPoint.objects.filter(touchpoint__stage__journey_map=journey_map).order_by("-severity", "created_at", "id")
    )
    pps_by_tp: dict[int, list[dict]] = {}
    for pp in pain_points:
        pps_by_tp.setdefault(pp.touchpoint_id, []).append(pain_point_document(pp))
    tps_by_stage: dict[int, list[dict]] = {}
    for tp in touchpoints:
        tps_by_stage.setdefault(tp.stage_id, []).append(touchpoint_document(tp, pps_by_tp.get(tp.pk, [])))
    persona = journey_map.persona if journey_map.persona_id else None
    scenario = journey_map.scenario if journey_map.scenario_id else None
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "map": {
            "title": journey_map.title,
            "description": journey_map.description,
            "product": journey_map.product,
            "status": journey_map.status,
            "persona": persona.name if persona else None,
            "scenario": scenario.name if scenario else None,
        },
        "stages": [stage_document(s, tps_by_stage.get(s.pk, [])) for s in stages],
    }
    lanes = lanes_document(journey_map, {s.pk: str(s.key) for s in stages})
    if lanes:
        document["lanes"] = lanes
    return document


# --- validation -------------------------------------------------------------------------------


def _require(cond: bool, path: str, message: str, params: dict | None = None) -> None:
    """Raise naming ``path`` unless ``cond``; ``message`` is translated only when it is raised."""
    if not cond:
        text = gettext(message) % params if params else gettext(message)
        raise ValidationError({"document": [f"{path}: {text}"]})


def _text(obj: dict, name: str, path: str, *, required=False, max_length: int | None = None) -> str:
    value = obj.get(name, "")
    if value is None:
        value = ""
    _require(isinstance(value, str), f"{path}.{name}", gettext_noop("must be a string"))
    if required:
        _require(bool(value.strip()), f"{path}.{name}", gettext_noop("is required"))
    if max_length:
        _require(
            len(value) <= max_length,
            f"{path}.{name}",
            gettext_noop("is longer than %(max)s characters"),
            {"max": max_length},
        )
    return value


def _choice(obj: dict, name: str, path: str, choices, default: str, *, blank=False) -> str:
    value = obj.get(name, default)
    if value in (None, "") and blank:
        return ""
    _require(
        value in choices.values,
        f"{path}.{name}",
        gettext_noop("%(value)s is not one of %(choices)s"),
        {"value": repr(value), "choices": ", ".join(choices.values)},
    )
    return value


def _key(obj: dict, path: str, seen: set) -> str:
    raw = obj.get("key")
    if raw in (None, ""):
        return str(uuid.uuid4())
    try:
        key = str(uuid.UUID(str(raw)))
    except ValueError:
        _require(False, f"{path}.key", gettext_noop("%(value)s is not a UUID"), {"value": repr(raw)})
    _require(key not in seen, f"{path}.key", gettext_noop("%(key)s is used twice"), {"key": key})
    seen.add(key)
    return key


def _day(obj: dict, name: str, path: str) -> str | None:
    value = obj.get(name)
    if value in (None, ""):
        return None
    try:
        return datetime.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        _require(False, f"{path}.{name}", gettext_noop("%(value)s is not a date (YYYY-MM-DD)"), {"value": repr(value)})


def _int(obj: dict, name: str, path: str, default: int, low: int, high: int) -> int:
    value = obj.get(name, default)
    _require(
        isinstance(value, int) and not isinstance(value, bool) and low <= value <= high,
        f"{path}.{name}",
        gettext_noop("must be a whole number from %(low)s to %(high)s"),
        {"low": low, "high": high},
    )
    return value


def validate_document(doc: Any) -> dict:
    """Return a clean copy of a map document, or raise ValidationError naming the first problem."""
    from .models.maps import EMOTION_SCORE

    _require(isinstance(doc, dict), "document", gettext_noop("must be a JSON object"))
    _require(
        doc.get("format", FORMAT) == FORMAT, "format", gettext_noop("must be %(format)s"), {"format": repr(FORMAT)}
    )
    _require("format_version" in doc, "format_version", gettext_noop("is missing"))
    _require(
        doc["format_version"] == FORMAT_VERSION,
        "format_version",
        gettext_noop("%(value)s is not supported (this Waymark reads version %(version)s)"),
        {"value": repr(doc["format_version"]), "version": FORMAT_VERSION},
    )
    raw_map = doc.get("map")
    _require(isinstance(raw_map, dict), "map", gettext_noop("must be an object"))
    clean_map = {
        "title": _text(raw_map, "title", "map", required=True, max_length=200),
        "description": _text(raw_map, "description", "map"),
        "product": _text(raw_map, "product", "map", max_length=120),
        "status": _choice(raw_map, "status", "map", JourneyMap.Status, JourneyMap.Status.DRAFT),
        "persona": raw_map.get("persona") if isinstance(raw_map.get("persona"), str) else None,
        "scenario": raw_map.get("scenario") if isinstance(raw_map.get("scenario"), str) else None,
    }
    raw_stages = doc.get("stages", [])
    _require(isinstance(raw_stages, list), "stages", gettext_noop("must be a list"))
    seen: set[str] = set()
    stages = []
    for i, st in enumerate(raw_stages):
        path = f"stages[{i}]"
        _require(isinstance(st, dict), path, gettext_noop("must be an object"))
        raw_tps = st.get("touchpoints", [])
        _require(isinstance(raw_tps, list), f"{path}.touchpoints", gettext_noop("must be a list"))
        tps = []
        for j, tp in enumerate(raw_tps):
            tpath = f"{path}.touchpoints[{j}]"
            _require(isinstance(tp, dict), tpath, gettext_noop("must be an object"))
            label = _choice(tp, "emotion_label", tpath, Emotion, Emotion.NEUTRAL)
            emotion = _int(tp, "emotion", tpath, EMOTION_SCORE[Emotion(label)], -2, 2)
            raw_pps = tp.get("pain_points", [])
            _require(isinstance(raw_pps, list), f"{tpath}.pain_points", gettext_noop("must be a list"))
            pps = []
            for k, pp in enumerate(raw_pps):
                ppath = f"{tpath}.pain_points[{k}]"
                _require(isinstance(pp, dict), ppath, gettext_noop("must be an object"))
                pps.append(
                    {
                        "key": _key(pp, ppath, seen),
                        "title": _text(pp, "title", ppath, required=True, max_length=200),
                        "description": _text(pp, "description", ppath),
                        "severity": _int(pp, "severity", ppath, 3, 1, 5),
                        "status": _choice(pp, "status", ppath, PainPoint.Status, PainPoint.Status.OPEN),
                        "evidence_source": _choice(
                            pp, "evidence_source", ppath, EvidenceSource, EvidenceSource.ASSUMPTION
                        ),
                        "evidence_verified_at": _day(pp, "evidence_verified_at", ppath),
                    }
                )
            is_moment = tp.get("is_moment", False)
            _require(isinstance(is_moment, bool), f"{tpath}.is_moment", gettext_noop("must be true or false"))
            tps.append(
                {
                    "key": _key(tp, tpath, seen),
                    "name": _text(tp, "name", tpath, required=True, max_length=200),
                    "channel": _choice(tp, "channel", tpath, Channel, Channel.PAGE),
                    "description": _text(tp, "description", tpath),
                    "emotion": emotion,
                    "emotion_label": label,
                    "is_moment": is_moment,
                    "moment_kind": _choice(tp, "moment_kind", tpath, MomentKind, "", blank=True),
                    "metric_name": _text(tp, "metric_name", tpath, max_length=120),
                    "evidence_source": _choice(tp, "evidence_source", tpath, EvidenceSource, EvidenceSource.ASSUMPTION),
                    "evidence_verified_at": _day(tp, "evidence_verified_at", tpath),
                    "pain_points": pps,
                }
            )
        stages.append(
            {
                "key": _key(st, path, seen),
                "name": _text(st, "name", path, required=True, max_length=120),
                "description": _text(st, "description", path),
                "funnel": _choice(st, "funnel", path, Stage.Funnel, "", blank=True),
                "touchpoints": tps,
            }
        )
    clean = {"format": FORMAT, "format_version": FORMAT_VERSION, "map": clean_map, "stages": stages}
    lanes = _lanes(doc.get("lanes", []), [s["key"] for s in stages], seen)
    if lanes:
        clean["lanes"] = lanes
    return clean


def _lanes(raw_lanes: Any, stage_keys: list[str], seen: set) -> list[dict]:
    """Return the clean lanes of a document; a cell names its stage by key or by 0-based index."""
    _require(isinstance(raw_lanes, list), "lanes", gettext_noop("must be a list"))
    lanes = []
    for i, lane in enumerate(raw_lanes):
        path = f"lanes[{i}]"
        _require(isinstance(lane, dict), path, gettext_noop("must be an object"))
        kind = _choice(lane, "kind", path, Lane.Kind, "")
        raw_cells = lane.get("cells", [])
        _require(isinstance(raw_cells, list), f"{path}.cells", gettext_noop("must be a list"))
        cells, used = [], set()
        for j, cell in enumerate(raw_cells):
            cpath = f"{path}.cells[{j}]"
            _require(isinstance(cell, dict), cpath, gettext_noop("must be an object"))
            stage = cell.get("stage")
            if isinstance(stage, int) and not isinstance(stage, bool) and 0 <= stage < len(stage_keys):
                stage = stage_keys[stage]
            _require(stage in stage_keys, f"{cpath}.stage", gettext_noop("is not a stage of this map"))
            _require(stage not in used, f"{cpath}.stage", gettext_noop("%(key)s is used twice"), {"key": stage})
            used.add(stage)
            text = _text(cell, "text", cpath, max_length=2000)
            if text and kind in Lane.TEXT_KINDS:
                cells.append({"stage": stage, "text": text})
        lanes.append(
            {
                "key": _key(lane, path, seen),
                "kind": kind,
                "title": _text(lane, "title", path, max_length=120),
                "cells": cells,
            }
        )
    return lanes


# --- diff -------------------------------------------------------------------------------------


def _lcs_keys(a: list[str], b: list[str]) -> set[str]:
    """Return the keys on a longest common subsequence of ``a`` and ``b`` (those that kept their order)."""
    n, m = len(a), len(b)
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            table[i][j] = table[i + 1][j + 1] + 1 if a[i] == b[j] else max(table[i + 1][j], table[i][j + 1])
    keep, i, j = set(), 0, 0
    while i < n and j < m:
        if a[i] == b[j]:
            keep.add(a[i])
            i, j = i + 1, j + 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return keep


# Fields added to the format later: a document written before them had their default.
LATER_DEFAULTS = {"product": ""}


def _field_changes(old: dict, new: dict, fields: list[str]) -> list[dict]:
    old = {**LATER_DEFAULTS, **old}
    new = {**LATER_DEFAULTS, **new}
    return [{"field": f, "from": old.get(f), "to": new.get(f)} for f in fields if old.get(f) != new.get(f)]


def _flatten(doc: dict) -> tuple[dict, dict, dict]:
    """Return stages, touchpoints and pain points of a document by key, with where they sit."""
    stages, tps, pps = {}, {}, {}
    for si, st in enumerate(doc.get("stages", [])):
        stages[st["key"]] = {**st, "_position": si}
        for ti, tp in enumerate(st.get("touchpoints", [])):
            tps[tp["key"]] = {**tp, "_position": ti, "_stage": st["key"], "_stage_name": st["name"]}
            for pi, pp in enumerate(tp.get("pain_points", [])):
                pps[pp["key"]] = {**pp, "_position": pi, "_touchpoint": tp["key"], "_touchpoint_name": tp["name"]}
    return stages, tps, pps


def _entry(kind: str, key: str, label: str, **extra) -> dict:
    return {"key": key, "status": kind, "label": label, **extra}


def diff_documents(old: dict, new: dict) -> dict:
    """Compare two map documents element by element.

    Return ``{"summary": {...}, "map": [field changes], "stages": [...], "touchpoints": [...],
    "pain_points": [...]}``. Each element entry has ``key``, ``label``, ``status`` ("added",
    "removed" or "changed"), ``moved`` (another stage, or its order among the elements both sides
    share changed), ``from``/``to`` positions and ``changes`` (field, from, to). Unchanged elements
    are left out.
    """
    old_st, old_tp, old_pp = _flatten(old)
    new_st, new_tp, new_pp = _flatten(new)

    # Stages: moved when their order among the stages both sides share changed.
    common = [k for k in old_st if k in new_st]
    kept = _lcs_keys(common, sorted(common, key=lambda k: new_st[k]["_position"]))
    stages = _compare(old_st, new_st, STAGE_FIELDS, "name", lambda k: k not in kept)

    # Touchpoints: moved when their stage changed, or their order within the stage did.
    kept_tp: set[str] = set()
    for skey in set(old_st) | set(new_st):
        a = [k for k, t in old_tp.items() if t["_stage"] == skey and new_tp.get(k, {}).get("_stage") == skey]
        b = sorted(a, key=lambda k: new_tp[k]["_position"])
        kept_tp |= _lcs_keys(a, b)
    touchpoints = _compare(
        old_tp,
        new_tp,
        TOUCHPOINT_FIELDS,
        "name",
        lambda k: old_tp[k]["_stage"] != new_tp[k]["_stage"] or k not in kept_tp,
        where=lambda t: {"stage": t["_stage"], "stage_name": t["_stage_name"], "position": t["_position"]},
    )
    # Pain points are listed worst first, so their order is not a change; a new touchpoint is.
    pain_points = _compare(
        old_pp,
        new_pp,
        PAIN_POINT_FIELDS,
        "title",
        lambda k: old_pp[k]["_touchpoint"] != new_pp[k]["_touchpoint"],
        where=lambda p: {"touchpoint": p["_touchpoint"], "touchpoint_name": p["_touchpoint_name"]},
    )
    map_changes = _field_changes(old.get("map", {}), new.get("map", {}), MAP_FIELDS)
    everything = stages + touchpoints + pain_points
    summary = {
        "added": sum(e["status"] == "added" for e in everything),
        "removed": sum(e["status"] == "removed" for e in everything),
        "moved": sum(bool(e.get("moved")) for e in everything),
        "changed": sum(bool(e.get("changes")) for e in everything) + (1 if map_changes else 0),
    }
    summary["total"] = summary["added"] + summary["removed"] + summary["moved"] + summary["changed"]
    return {
        "summary": summary,
        "map": map_changes,
        "stages": stages,
        "touchpoints": touchpoints,
        "pain_points": pain_points,
    }


def _compare(old: dict, new: dict, fields: list[str], label_field: str, is_moved, where=None) -> list[dict]:
    where = where or (lambda e: {"position": e["_position"]})
    out = []
    for key, after in new.items():
        before = old.get(key)
        if before is None:
            out.append(_entry("added", key, after[label_field], to=where(after)))
            continue
        changes = _field_changes(before, after, fields)
        moved = is_moved(key)
        if changes or moved:
            out.append(
                _entry(
                    "changed",
                    key,
                    after[label_field],
                    moved=moved,
                    changes=changes,
                    **{"from": where(before), "to": where(after)},
                )
            )
    for key, before in old.items():
        if key not in new:
            out.append(_entry("removed", key, before[label_field], **{"from": where(before)}))
    return out


def diff_index(diff: dict) -> dict[str, dict]:
    """Return the diff's element entries by key (for marking elements on a side-by-side view)."""
    return {e["key"]: e for part in ("stages", "touchpoints", "pain_points") for e in diff[part]}
