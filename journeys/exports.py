"""The map's exports that are not the JSON document: its touchpoints as CSV."""

from __future__ import annotations

import io

from django.http import HttpResponse

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
