"""ClickHouse's HTTP interface served from a chdb session, so the real clickhouse-connect runs end to end.

Enough of the interface for clickhouse-connect: the query in the URL or the body (an INSERT's rows
follow it in the body), ``param_*`` server-side parameters, and the answer in the format the query
names (``FORMAT Native`` from clickhouse-connect; TabSeparated when it names none), errors as 500.
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


def serve(session) -> tuple[ThreadingHTTPServer, int]:
    """Serve ``session`` on a free local port in a thread; return the server and its port."""
    lock = threading.Lock()  # one query at a time in the embedded engine

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _answer(self, body: bytes) -> None:
            query = {key: values[-1] for key, values in parse_qs(urlparse(self.path).query).items()}
            sql = query.pop("query", "")
            sql = f"{sql}\n{body.decode()}" if sql and body else sql or body.decode()
            params = {key[6:]: value for key, value in query.items() if key.startswith("param_")}
            named = re.search(r"\bFORMAT\s+(\w+)\s*$", sql.split("\n", 1)[0] if "INSERT" in sql[:10] else sql)
            fmt = named.group(1) if named else "TabSeparated"
            try:
                with lock:
                    result = session.query(sql, fmt, params=params)
                status, out = 200, (result.bytes() if result is not None else b"")
            except Exception as exc:  # the engine's error, as ClickHouse reports it
                status, out = 500, f"Code: 1. DB::Exception: {exc}".encode()
            self.send_response(status)
            self.send_header("X-ClickHouse-Format", fmt)
            self.send_header("X-ClickHouse-Summary", '{"read_rows":"0","written_rows":"0"}')
            if status != 200:
                self.send_header("X-ClickHouse-Exception-Code", "1")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def do_POST(self):
            self._answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

        def do_GET(self):
            self._answer(b"")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]
