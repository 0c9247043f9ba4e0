"""Settings of the test suite: the embedded default (DEBUG on, SQLite, eager Celery), as `make run`.

DEBUG is off unless set (config/settings.py); the suite keeps it on unless the environment says
otherwise, and processes the tests start inherit the same environment.
"""

import os

os.environ.setdefault("DEBUG", "1")

from config.settings import *  # noqa: F403

# seed_demo runs in many tests (pages, browsers): a few dozen customers per demo map keep it quick;
# tests/customers/test_demo.py asks for more where it measures the shapes.
CUSTOMERS_DEMO_PROFILES_PER_MAP = 40
