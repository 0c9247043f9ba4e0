"""The ClickHouse tier: events copied from PostgreSQL into ClickHouse, where analytics read them.

``CLICKHOUSE_URL`` turns it on (``CLICKHOUSE_CLUSTER`` names the cluster when there is one).
PostgreSQL stays the system of record: ingestion stores every event there first, the beat task
``clickhouse_ship`` copies them in batches behind a cursor (``sync.py``), and profiles, identities,
the maps and everything else are read from PostgreSQL. ``schema.py`` holds the DDL, ``client.py``
the transports (clickhouse-connect over HTTP; chdb in process for tests and benchmarks only).
"""

from __future__ import annotations

from django.conf import settings

_client = None


def enabled() -> bool:
    """Return whether events and analytics are served by ClickHouse."""
    return bool(getattr(settings, "CLICKHOUSE_URL", "")) or _client is not None


def get_client():
    """Return the process's ClickHouse client (clickhouse-connect, from ``CLICKHOUSE_URL``)."""
    global _client
    if _client is None:
        from .client import HttpClient

        _client = HttpClient.from_url(settings.CLICKHOUSE_URL)
    return _client


def use_client(client) -> None:
    """Answer analytics from ``client`` (tests and benchmarks pass a chdb client; None turns it off)."""
    global _client
    _client = client


def cluster() -> str:
    return getattr(settings, "CLICKHOUSE_CLUSTER", "")
