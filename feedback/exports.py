"""Responses as CSV, streamed a chunk of rows at a time (never all in memory)."""

from __future__ import annotations

import json

from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from teams.csv_export import SafeWriter

CSV_HEADER = [
    "id",
    "created_at",
    "survey",
    "touchpoint",
    "stage",
    "score",
    "metric",
    "channel",
    "locale",
    "respondent_id",
    "finished",
    "answers",
    "page_url",
]


def _csv_rows(queryset):
    writer = SafeWriter()
    yield "\ufeff" + writer.writerow(CSV_HEADER)
    rows = queryset.values_list(
        "id",
        "created_at",
        "survey__name",
        "touchpoint__name",
        "stage__name",
        "score",
        "metric",
        "channel",
        "locale",
        "respondent_id",
        "finished",
        "answers",
        "page_url",
    )
    for row in rows.iterator(chunk_size=2000):
        row = list(row)
        row[1] = row[1].isoformat()
        row[11] = json.dumps(row[11], ensure_ascii=False)
        yield writer.writerow(row)


def responses_csv_response(queryset: QuerySet) -> StreamingHttpResponse:
    """Return the responses of ``queryset`` as a streamed CSV download (with a BOM for spreadsheets)."""
    response = StreamingHttpResponse(_csv_rows(queryset), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="responses.csv"'
    return response
