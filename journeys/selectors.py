"""Reads for the map pages and the API, in a fixed number of queries whatever the map's size."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import Count, IntegerField, Max, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext

from .extensions import annotate_map
from .models import JourneyMap, MapTemplate, MapVersion, PainPoint, ShareLink, Stage, Touchpoint


def _count(model, path: str) -> Subquery:
    sub = model.objects.filter(**{path: OuterRef("pk")}).order_by().values(path).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))


def map_list(*, user, team=None):
    """Return the maps ``user`` may read (of ``team`` when given) with their counts and last version."""
    qs = JourneyMap.objects.for_user(user)
    if team is not None:
        qs = qs.filter(team=team)
    last_version = MapVersion.objects.filter(journey_map=OuterRef("pk")).order_by("-number")
    return qs.select_related("persona", "scenario", "team").annotate(
        stage_count=_count(Stage, "journey_map"),
        touchpoint_count=_count(Touchpoint, "stage__journey_map"),
        open_pain_count=Coalesce(
            Subquery(
                PainPoint.objects.filter(touchpoint__stage__journey_map=OuterRef("pk"))
                .exclude(status=PainPoint.Status.FIXED)
                .order_by()
                .values("touchpoint__stage__journey_map")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            ),
            Value(0),
        ),
        last_version_number=Subquery(last_version.values("number")[:1]),
        last_version_revision=Subquery(last_version.values("source_revision")[:1]),
    )


def filter_maps(queryset, *, q: str = "", persona: str = "", status: str = ""):
    if q:
        queryset = queryset.filter(Q(title__icontains=q) | Q(description__icontains=q))
    if persona:
        queryset = queryset.filter(persona_id=persona) if persona.isdigit() else queryset.none()
    if status:
        queryset = queryset.filter(status=status)
    return queryset


# A touchpoint's pain points, worst first.
PAIN_ORDER = ("-severity", "created_at", "id")


class OpenPain(NamedTuple):
    """What a map card shows of an open pain point (the board loads no ``PainPoint`` for it)."""

    title: str
    severity: int
    status: str


def touchpoint_list(*, journey_map, channel: str = "", moments_only: bool = False, pain_points: bool = True):
    qs = Touchpoint.objects.filter(stage__journey_map=journey_map).order_by(
        "stage__position", "stage_id", "position", "id"
    )
    if pain_points:
        qs = qs.prefetch_related(Prefetch("pain_points", queryset=PainPoint.objects.order_by(*PAIN_ORDER)))
    if channel:
        qs = qs.filter(channel=channel)
    if moments_only:
        qs = qs.filter(is_moment=True)
    return qs


@dataclass
class Board:
    """What the map page draws: the stages with their touchpoints, and the emotion curve."""

    journey_map: JourneyMap
    stages: list[Stage]
    touchpoints: list[Touchpoint]

    @property
    def curve(self) -> dict:
        """Return the emotion curve's points in journey order (stage, touchpoint, score, label)."""
        # get_…_display() rebuilds the dict per call; the labels are lazy, made text once here.
        labels = {key: str(label) for key, label in Touchpoint._meta.get_field("emotion_label").flatchoices}
        return {
            "labels": [t.name for t in self.touchpoints],
            "stages": [t.stage.name for t in self.touchpoints],
            "scores": [t.emotion for t in self.touchpoints],
            "emotions": [labels.get(t.emotion_label, str(t.emotion_label)) for t in self.touchpoints],
            # The chart's own words, in the reader's language (map.js has no catalog of its own).
            "series": gettext("Emotion"),
            "axis": {
                "-2": gettext("Frustrated"),
                "-1": gettext("Uneasy"),
                "0": gettext("Neutral"),
                "1": gettext("Positive"),
                "2": gettext("Delighted"),
            },
        }

    def funnel(self) -> list[dict]:
        """Group the stages into the funnel's parts (a stage without one goes by its place)."""
        parts = {k: [] for k in Stage.Funnel.values}
        n = len(self.stages)
        for i, stage in enumerate(self.stages):
            part = stage.funnel or ("top" if i < n / 3 else "middle" if i < 2 * n / 3 else "bottom")
            parts[part].append(stage)
        return [
            {"key": k, "label": label, "stages": parts[k], "count": sum(len(s.cards) for s in parts[k])}
            for k, label in Stage.Funnel.choices
        ]


def map_board(
    journey_map: JourneyMap, *, channel: str = "", moments_only: bool = False, options: dict | None = None
) -> Board:
    """Load the map's stages, touchpoints and pain points, then let other apps annotate them."""
    stages = list(Stage.objects.filter(journey_map=journey_map).order_by("position", "id"))
    by_id = {s.pk: s for s in stages}
    for s in stages:
        s.cards = []
        s.journey_map = journey_map
    touchpoints = list(
        touchpoint_list(journey_map=journey_map, channel=channel, moments_only=moments_only, pain_points=False)
    )
    # The open pain points in one query of their own, grouped here: what prefetching them costs per
    # touchpoint (a related manager and a queryset each) was a sixth of a 12 x 15 board's Python.
    pains: dict[int, list[OpenPain]] = defaultdict(list)
    open_pains = (
        PainPoint.objects.filter(touchpoint__stage__journey_map=journey_map)
        .exclude(status=PainPoint.Status.FIXED)
        .order_by(*PAIN_ORDER)
        .values_list("touchpoint_id", "title", "severity", "status")
    )
    for touchpoint_id, *pain in open_pains:
        pains[touchpoint_id].append(OpenPain(*pain))
    # The stage goes into each touchpoint's related-object cache as the descriptor would put it, without
    # the descriptor's checks (the stage is the touchpoint's own, by its stage_id).
    cache_stage = Touchpoint.stage.field.set_cached_value
    for t in touchpoints:
        stage = by_id[t.stage_id]
        cache_stage(t, stage)
        stage.cards.append(t)
        t.open_pain_points = pains.get(t.pk, [])
    annotate_map(journey_map, stages, touchpoints, options)
    return Board(journey_map, stages, touchpoints)


def last_version(journey_map) -> MapVersion | None:
    return MapVersion.objects.filter(journey_map=journey_map).select_related("created_by").first()


def map_version_list(*, journey_map):
    return MapVersion.objects.filter(journey_map=journey_map).select_related("created_by").defer("snapshot")


def map_version_numbers(journey_map) -> dict:
    return MapVersion.objects.filter(journey_map=journey_map).aggregate(last=Max("number"))


def map_template_list(*, user, team=None):
    """Return the team templates ``user`` may read (of ``team`` when given)."""
    qs = MapTemplate.objects.for_user(user)
    if team is not None:
        qs = qs.filter(team=team)
    return qs


def share_link_list(*, user, journey_map=None, team=None):
    """Return the share links ``user`` may read, with their number of views and the last one."""
    qs = ShareLink.objects.for_user(user)
    if journey_map is not None:
        qs = qs.filter(journey_map=journey_map)
    if team is not None:
        qs = qs.filter(team=team)
    return qs.select_related("version", "created_by").annotate(
        view_count=Count("views"), last_viewed_at=Max("views__viewed_at")
    )
