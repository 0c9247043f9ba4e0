"""``?format=csv`` for the API's tabular answers, one renderer for every app."""

from __future__ import annotations

import io

from rest_framework.renderers import BaseRenderer, JSONRenderer

from .csv_export import SafeWriter


class CSVRenderer(BaseRenderer):
    """Rows (a list of lists, the header first) or CSV text a view built, as ``text/csv``.

    An error answer stays the API's JSON error (``detail``, ``code``, ``errors``) whatever format
    was asked: a client reading a 400 or 404 should not have to parse it out of CSV.
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code >= 400:
            response["Content-Type"] = "application/json"
            return JSONRenderer().render(data, "application/json", renderer_context)
        if isinstance(data, bytes):
            return data
        if isinstance(data, str):
            return data.encode(self.charset)
        stream = io.StringIO()
        writer = SafeWriter(stream)
        for row in data or []:
            writer.writerow(["" if value is None else value for value in row])
        return stream.getvalue().encode(self.charset)
