"""Settings of the test suite: the embedded default (DEBUG on, SQLite, eager Celery), as `make run`.

DEBUG is off unless set (config/settings.py); the suite keeps it on unless the environment says
otherwise, and processes the tests start inherit the same environment.
"""

import os

os.environ.setdefault("DEBUG", "1")


def _redis_url_for_worker(url: str, worker: str) -> str:
    """One Redis database per pytest-xdist worker, as pytest-django gives each its own SQL database.

    Without it one worker's flush, rate-limit counter or Celery queue reaches the other's tests.
    """
    index = int(worker.removeprefix("gw"))
    base, _, db = url.rpartition("/")
    if not base.startswith("redis") or not db.isdigit():
        base, db = url.rstrip("/"), "0"
    return f"{base}/{(int(db) + 1 + index) % 16}"


# Processes a test starts (a real Celery worker) import these settings too and inherit the already
# shifted URL through the environment: the marker keeps them from shifting it a second time.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw") and os.environ.get("REDIS_URL") and not os.environ.get("WAYMARK_TEST_REDIS"):
    os.environ["REDIS_URL"] = _redis_url_for_worker(os.environ["REDIS_URL"], _worker)
    os.environ["WAYMARK_TEST_REDIS"] = os.environ["REDIS_URL"]

from config.settings import *  # noqa: E402, F403  (after the environment above is set)

# seed_demo runs in many tests (pages, browsers): a few dozen customers per demo map keep it quick;
# tests/customers/test_demo.py asks for more where it measures the shapes.
CUSTOMERS_DEMO_PROFILES_PER_MAP = 40
