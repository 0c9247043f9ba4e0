"""Two transports with one small surface: ``query`` (rows as lists), ``command`` and ``insert_rows``.

Parameters use ClickHouse's own server-side binding (``{name:Type}``), which both the HTTP
interface and chdb understand, so no value is ever pasted into SQL text. Queries return plain
numbers and strings (times as milliseconds since the epoch), so both transports give the same rows.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

QUERY_SETTINGS = "output_format_json_quote_64bit_integers=0"


def _param(value):
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_literal(v) for v in value) + "]"
    return value


def _literal(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def json_rows(columns: list[str], rows) -> bytes:
    """Encode rows for ``INSERT … FORMAT JSONEachRow`` (the format both transports send)."""
    return "\n".join(json.dumps(dict(zip(columns, row, strict=True)), default=str) for row in rows).encode()


class HttpClient:
    """clickhouse-connect over ClickHouse's HTTP interface (the production transport)."""

    def __init__(self, client, database: str):
        self.client = client
        self.database = database

    @classmethod
    def from_url(cls, url: str) -> HttpClient:
        """``http(s)://user:password@host:port/database`` (the database defaults to ``waymark``)."""
        import clickhouse_connect

        parts = urlparse(url)
        database = parts.path.strip("/") or "waymark"
        options: dict = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if options.get("compress", "").lower() in {"0", "false", "no"}:
            options["compress"] = False
        client = clickhouse_connect.get_client(
            host=parts.hostname or "localhost",
            port=parts.port or (8443 if parts.scheme == "https" else 8123),
            username=parts.username or "default",
            password=parts.password or "",
            secure=parts.scheme == "https",
            **options,
        )
        return cls(client, database)

    def query(self, sql: str, params: dict | None = None) -> list[list]:
        result = self.client.query(sql, parameters=params or {})
        return [list(row) for row in result.result_rows]

    def command(self, sql: str, params: dict | None = None) -> None:
        self.client.command(sql, parameters=params or {})

    def insert_rows(self, table: str, columns: list[str], rows) -> None:
        if rows:
            self.client.raw_insert(table, columns, json_rows(columns, rows), fmt="JSONEachRow")


class ChdbClient:
    """The real ClickHouse engine inside this process (chdb): tests and benchmarks, never the default.

    Only one process can open a chdb database at a time, so it cannot serve web workers.
    """

    def __init__(self, path: str = "", database: str = "waymark", settings: str = ""):
        from chdb import session

        self.session = session.Session(path) if path else session.Session()
        self.database = database
        # e.g. "max_threads = 1": the benchmark measures one core's worth, as PostgreSQL's one backend.
        self.settings = QUERY_SETTINGS + (f", {settings}" if settings else "")

    def query(self, sql: str, params: dict | None = None) -> list[list]:
        bound = {k: _param(v) for k, v in (params or {}).items()}
        result = self.session.query(f"{sql}\nSETTINGS {self.settings}", "JSONCompact", params=bound)
        raw = result.bytes()
        return json.loads(raw)["data"] if raw else []

    def command(self, sql: str, params: dict | None = None) -> None:
        bound = {k: _param(v) for k, v in (params or {}).items()}
        self.session.query(sql, "CSV", params=bound)

    def insert_rows(self, table: str, columns: list[str], rows) -> None:
        if rows:
            body = json_rows(columns, rows).decode()
            self.session.query(f"INSERT INTO {table} ({', '.join(columns)}) FORMAT JSONEachRow\n{body}", "CSV")

    def close(self) -> None:
        self.session.close()
