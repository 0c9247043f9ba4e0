"""The map's exports that are not the JSON document: its touchpoints as CSV, the map drawn as SVG, PDF or PNG."""

from __future__ import annotations

import io

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext

from teams.csv_export import SafeWriter

from .models import JourneyMap, PainPoint
from .selectors import touchpoint_list


def touchpoints_csv_response(journey_map: JourneyMap) -> HttpResponse:
    """Return the map's touchpoints as a CSV download, one row each with its open pain points."""
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    writer.writerow(
        [
            "stage",
            "position",
            "key",
            "touchpoint",
            "channel",
            "emotion",
            "emotion_label",
            "moment_that_matters",
            "moment_kind",
            "metric",
            "evidence",
            "evidence_verified_at",
            "open_pain_points",
            "worst_open_severity",
        ]
    )
    for tp in touchpoint_list(journey_map=journey_map).select_related("stage"):
        open_pps = [p for p in tp.pain_points.all() if p.status != PainPoint.Status.FIXED]
        writer.writerow(
            [
                tp.stage.name,
                tp.position + 1,
                tp.key,
                tp.name,
                tp.channel,
                tp.emotion,
                tp.emotion_label,
                "yes" if tp.is_moment else "no",
                tp.moment_kind,
                tp.metric_name,
                tp.evidence_source,
                tp.evidence_verified_at or "",
                len(open_pps),
                max((p.severity for p in open_pps), default=""),
            ]
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="map-{journey_map.pk}-touchpoints.csv"'
    return response


def version_document(journey_map: JourneyMap, raw: str | None) -> tuple[dict, object]:
    """Return the document to draw and its version: the draft (``raw`` empty) or version ``raw``; else a 404."""
    from .models import MapVersion
    from .snapshot import map_document

    if not raw:
        return map_document(journey_map), None
    version = MapVersion.objects.filter(journey_map=journey_map, number=raw).first() if str(raw).isdigit() else None
    if version is None:
        raise Http404(gettext("This map has no version %(number)s.") % {"number": raw})
    return version.snapshot, version


def map_picture(*, journey_map: JourneyMap, document: dict, fmt: str, version=None, with_sources: bool = True) -> bytes:
    """Return ``document`` (the map's draft or one of its versions) drawn as ``fmt``: svg, pdf or png.

    ``with_sources`` lets other apps add to the derived lanes (owners' names in backstage); a
    share link's picture leaves them out, as its page shows nothing of the team beyond the map.
    """
    from .canvas import render
    from .models import Lane
    from .swimlanes import swimlane_rows

    lanes = list(Lane.objects.filter(journey_map=journey_map)) if version is None else []
    rows = swimlane_rows(document, journey_map=journey_map if with_sources else None, lanes=lanes)
    meta = document.get("map", {})
    parts = [p for p in (meta.get("persona"), meta.get("scenario")) if p]
    if version is not None:
        parts.append(gettext("Version %(number)s") % {"number": version.number})
    else:
        parts.append(gettext("Draft, revision %(number)s") % {"number": journey_map.revision})
    parts.append(gettext("drawn %(date)s") % {"date": date_format(timezone.localdate(), "DATE_FORMAT")})
    return render(document, rows, fmt, subtitle=" · ".join(parts))


def picture_response(content: bytes, fmt: str, *, title: str, pk: int) -> HttpResponse:
    from .canvas import FORMATS

    response = HttpResponse(content, content_type=FORMATS[fmt])
    name = slugify(title)[:60] or "map"
    response["Content-Disposition"] = f'attachment; filename="{name}-{pk}.{fmt}"'
    return response
