"""The swimlanes canvas: rows under the stages, built from a map document.

Text lanes (customer actions, thoughts, backstage, opportunities, metrics) say what people wrote
in their cells; derived lanes are read from the map itself (emotions, touchpoints by channel,
open pain points, the touchpoints' metrics) and from the apps to the right that registered a
lane source (``journeys.extensions.register_lane_source``: owners fill the backstage lane).
The page, the API and the exports (``journeys.canvas``) all draw these rows, so a document —
the draft, or a version behind a share link — is drawn the same way everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext

from .extensions import LaneItem, lane_source_items
from .models import Channel, Emotion, Lane, PainPoint

# What a map without lanes of its own is drawn with (the board's own facts, one row each).
DEFAULT_LANES = [Lane.Kind.TOUCHPOINTS, Lane.Kind.EMOTIONS, Lane.Kind.PAIN_POINTS]


@dataclass
class LaneRow:
    key: str
    kind: str
    title: str
    is_text: bool
    cells: list[list[LaneItem]]  # one list per stage, in stage order
    texts: list[str] = field(default_factory=list)  # a text lane's own words per stage
    lane_id: int | None = None


def _tone(score: int) -> str:
    return "negative" if score < 0 else "positive" if score > 0 else ""


def _derived(kind: str, stage: dict) -> list[LaneItem]:
    touchpoints = stage.get("touchpoints", [])
    if kind == Lane.Kind.EMOTIONS:
        return [
            LaneItem(f"{Emotion(t['emotion_label']).label} ({t['emotion']:+d})", t["name"], _tone(t["emotion"]))
            for t in touchpoints
        ]
    if kind == Lane.Kind.TOUCHPOINTS:
        return [
            LaneItem(
                t["name"],
                str(Channel(t["channel"]).label)
                + (" · " + gettext("moment that matters") if t.get("is_moment") else ""),
                "positive" if t.get("is_moment") else "",
            )
            for t in touchpoints
        ]
    if kind == Lane.Kind.PAIN_POINTS:
        open_ones = [p for t in touchpoints for p in t.get("pain_points", []) if p["status"] != PainPoint.Status.FIXED]
        return [
            LaneItem(
                p["title"],
                gettext("Severity %(severity)s · %(status)s")
                % {"severity": p["severity"], "status": PainPoint.Status(p["status"]).label},
                "negative" if p["severity"] >= 4 else "warning",
            )
            for p in sorted(open_ones, key=lambda p: -p["severity"])
        ]
    if kind == Lane.Kind.METRICS:
        return [LaneItem(t["metric_name"], t["name"]) for t in touchpoints if t.get("metric_name")]
    return []


def swimlane_rows(document: dict, *, journey_map=None, lanes: list | None = None) -> list[LaneRow]:
    """Return the canvas rows of ``document`` in order.

    ``lanes`` are the live ``Lane`` rows (the page links each row to its settings); without them
    the document's own lanes are drawn, and a document without lanes gets ``DEFAULT_LANES``.
    ``journey_map`` lets the registered lane sources add what they know (none without it).
    """
    stages = document.get("stages", [])
    stage_keys = [s["key"] for s in stages]
    raw = document.get("lanes")
    if raw is None:
        raw = [{"key": f"default-{kind}", "kind": kind, "title": "", "cells": []} for kind in DEFAULT_LANES]
    ids = {str(lane.key): lane.pk for lane in lanes or []}
    kinds = {lane["kind"] for lane in raw}
    sourced = lane_source_items(journey_map, kinds, stage_keys) if journey_map is not None else {}
    rows = []
    for lane in raw:
        kind = lane["kind"]
        is_text = kind in Lane.TEXT_KINDS
        own = {c["stage"]: c["text"] for c in lane.get("cells", [])} if is_text else {}
        from_apps = sourced.get(kind, {})
        cells, texts = [], []
        for stage in stages:
            text = own.get(stage["key"], "")
            texts.append(text)
            items = [LaneItem(line.strip()) for line in text.splitlines() if line.strip()]
            items += _derived(kind, stage)
            items += from_apps.get(stage["key"], [])
            cells.append(items)
        rows.append(
            LaneRow(
                key=lane["key"],
                kind=kind,
                title=lane.get("title") or str(Lane.Kind(kind).label),
                is_text=is_text,
                cells=cells,
                texts=texts,
                lane_id=ids.get(lane["key"]),
            )
        )
    return rows


def emotion_points(document: dict) -> list[dict]:
    """Return the emotion curve's points in journey order: stage index, touchpoint, score, label."""
    return [
        {"stage": i, "name": t["name"], "score": t["emotion"], "label": str(Emotion(t["emotion_label"]).label)}
        for i, stage in enumerate(document.get("stages", []))
        for t in stage.get("touchpoints", [])
    ]
