"""Settings of the benchmark server: Waymark's own settings plus the bare baseline view.

Everything the product reads from the environment is set by ``bench/run.py`` (PostgreSQL,
Redis, ``DEBUG=0``); this module only adds the ``bench.baseline`` app (one table, one view) and
keeps the collected static files under ``bench/data/`` so a benchmark never touches ``var/``.
"""

from config.settings import *  # noqa: F403
from config.settings import BASE_DIR, INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench.baseline"]
ROOT_URLCONF = "bench.urls"

STATIC_ROOT = BASE_DIR / "bench" / "data" / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# Production uses CompressedManifestStaticFilesStorage, whose collectstatic currently fails on the
# vendored chart.js (it references chart.umd.min.js.map, which is not vendored). The benchmarks
# request no static file, so plain storage (unhashed URLs) changes nothing they measure.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
