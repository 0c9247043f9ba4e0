"""Settings of the test suite: the embedded default (DEBUG on, SQLite, eager Celery), as `make run`.

DEBUG is off unless set (config/settings.py); the suite keeps it on unless the environment says
otherwise, and processes the tests start inherit the same environment.
"""

import os

os.environ.setdefault("DEBUG", "1")

from config.settings import *  # noqa: F403
