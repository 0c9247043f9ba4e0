"""Analytics objects and query strings for the access test (tests/test_access.py)."""

QUERIES: dict = {}

from tests.analytics.world_retention import QUERIES as RETENTION_QUERIES  # noqa: E402

QUERIES.update(RETENTION_QUERIES)
