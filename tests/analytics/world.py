"""Analytics for the access test (tests/test_access.py): no models of its own; the query strings its analyses need."""

from .world_paths import QUERIES as _PATHS_QUERIES

BUILDERS: list = []
URL_KWARGS: dict = {}
API_KWARGS: dict = {}
QUERIES: dict = {**_PATHS_QUERIES}
