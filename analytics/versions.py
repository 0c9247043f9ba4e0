"""Two versions of a map side by side: its stage funnel while each version was the published one.

A version is live from its publish time to the next version's (the newest: to now). Each side is the
stage funnel of that version's stages (in that version's order, those still on the map, matched by
their stable key) over the entries made while it was live; an entry's later steps are counted
within their windows even after the next publish, as every funnel counts entries. Steps are paired
by stage key; each side's rates keep their Wilson interval and n, and the difference (after − before)
has Newcombe's interval, built from the two Wilson intervals.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from journeys.models import JourneyMap, MapVersion, Stage

from . import funnels
from .query import rate_difference

TOO_FEW_STAGES = gettext_noop("Fewer than two of this version's stages are still on the map.")
NOT_IN_VERSION = gettext_noop("The stage is not in this version.")


def _version(journey_map: JourneyMap, raw, field: str) -> MapVersion | None:
    if raw in (None, ""):
        return None
    try:
        number = int(raw)
    except (TypeError, ValueError):
        raise ValidationError({field: _("Give a version number.")}) from None
    found = MapVersion.objects.filter(journey_map=journey_map, number=number).first()
    if found is None:
        raise ValidationError({field: _("The map has no version %(n)s.") % {"n": number}})
    return found


def choose_versions(journey_map: JourneyMap, data) -> tuple[MapVersion, MapVersion]:
    """Return (before, after): the versions asked for, by default the newest and the one before it."""
    versions = list(MapVersion.objects.filter(journey_map=journey_map).order_by("number").defer("snapshot"))
    if len(versions) < 2:
        raise ValidationError({"after": _("Publish the map at least twice to compare two versions.")})
    after = _version(journey_map, data.get("after"), "after") or versions[-1]
    before = _version(journey_map, data.get("before"), "before")
    if before is None:
        earlier = [v for v in versions if v.number < after.number]
        if not earlier:
            raise ValidationError({"after": _("Choose a version that has one before it.")})
        before = earlier[-1]
    if before.number >= after.number:
        raise ValidationError({"before": _("The version before must be older than the one after.")})
    return before, after


def live_period(version: MapVersion, *, now: datetime) -> tuple[datetime, datetime]:
    """Return when ``version`` was the published one: its publish time to the next one's (or now)."""
    following = (
        MapVersion.objects.filter(journey_map_id=version.journey_map_id, number__gt=version.number)
        .order_by("number")
        .values_list("created_at", flat=True)
        .first()
    )
    return version.created_at, following or now


def _side(journey_map: JourneyMap, version: MapVersion, *, user, now: datetime) -> dict:
    keys = [stage["key"] for stage in version.snapshot.get("stages", [])]
    by_key = {str(s.key): s for s in Stage.objects.filter(journey_map=journey_map, key__in=keys)}
    stages = [by_key[key] for key in keys if key in by_key]
    start, end = live_period(version, now=now)
    side = {
        "version": version.number,
        "note": version.note,
        "published_at": start.isoformat(),
        "until": end.isoformat(),
        "stages": [str(s.key) for s in stages],
        "funnel": None,
        "reason": None,
    }
    if len(stages) < 2:
        side["reason"] = TOO_FEW_STAGES
        return side
    params = QueryDict(mutable=True)
    params["map"] = str(journey_map.pk)
    params.setlist("step", [f"stage:{s.pk}" for s in stages])
    query = replace(funnels.query_from(params, user=user), start=start, end=end)
    side["funnel"] = funnels.engine_for(journey_map.team).run(query)
    return side


def _step_figures(step: dict | None) -> dict | None:
    if step is None:
        return None
    keep = ("index", "entered", "converted", "dropped", "from_previous", "overall", "time_to_convert")
    return {key: step[key] for key in keep}


def _difference(before: dict | None, after: dict | None, figure: str) -> dict:
    if before is None or after is None:
        return {"value": None, "low": None, "high": None, "reason": NOT_IN_VERSION}
    b, a = before[figure], after[figure]
    return rate_difference(b["k"], b["n"], a["k"], a["n"])


def version_comparison(journey_map: JourneyMap, *, user, data=None, now: datetime | None = None) -> dict:
    """Return the stage funnel of two versions of ``journey_map`` side by side, step by step."""
    data = data or {}
    now = now or timezone.now()
    before, after = choose_versions(journey_map, data)
    sides = {
        "before": _side(journey_map, before, user=user, now=now),
        "after": _side(journey_map, after, user=user, now=now),
    }
    order = list(sides["after"]["stages"]) + [k for k in sides["before"]["stages"] if k not in sides["after"]["stages"]]
    names = dict(Stage.objects.filter(journey_map=journey_map).values_list("key", "name"))
    names = {str(k): v for k, v in names.items()}
    per_side = {
        name: dict(zip(side["stages"], (side["funnel"] or {}).get("steps", []), strict=False))
        for name, side in sides.items()
    }
    steps = []
    for key in order:
        b = per_side["before"].get(key)
        a = per_side["after"].get(key)
        steps.append(
            {
                "key": key,
                "label": names.get(key, ""),
                "before": _step_figures(b),
                "after": _step_figures(a),
                "difference": {
                    "from_previous": _difference(b, a, "from_previous"),
                    "overall": _difference(b, a, "overall"),
                },
            }
        )
    conversion = {name: (side["funnel"] or {}).get("conversion") for name, side in sides.items()}
    if conversion["before"] and conversion["after"]:
        difference = rate_difference(
            conversion["before"]["k"], conversion["before"]["n"], conversion["after"]["k"], conversion["after"]["n"]
        )
    else:
        difference = {"value": None, "low": None, "high": None, "reason": TOO_FEW_STAGES}
    return {
        "map": journey_map.pk,
        "before": sides["before"],
        "after": sides["after"],
        "steps": steps,
        "conversion": {**conversion, "difference": difference},
        "difference_of": "after − before",
    }
