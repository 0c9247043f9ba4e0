"""What a production deploy runs, run here: collectstatic with the manifest storage, check --deploy."""

import pytest
from django.core.management import call_command


def test_collectstatic_with_manifest_storage_succeeds(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "vendor/htmx/htmx.min.js" in manifest
    assert "vendor/chartjs/chart.umd.min.js" in manifest


@pytest.mark.parametrize("path", ["static/vendor/chartjs/chart.umd.min.js", "static/vendor/axe/axe.min.js"])
def test_vendored_files_reference_no_missing_source_maps(path):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / path).read_text()
    assert "sourceMappingURL" not in text


def _settings_probe(**env_overrides):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", **env_overrides)
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    root = Path(__file__).resolve().parents[1]
    return subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True)


def test_debug_is_off_unless_set():
    assert _settings_probe(SECRET_KEY="x" * 50).stdout.strip() == "False"
    assert _settings_probe(SECRET_KEY="x" * 50, DEBUG="1").stdout.strip() == "True"
    refused = _settings_probe()
    assert refused.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in refused.stderr


def test_offline_commands_run_without_a_secret_key_and_serving_ones_do_not():
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "WAYMARK_OFFLINE_COMMAND")}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"

    def manage(*args):
        return subprocess.run([sys.executable, "manage.py", *args], cwd=root, env=env, capture_output=True, text=True)

    offline = manage("makemigrations", "--check", "--dry-run")
    assert offline.returncode == 0, offline.stderr
    assert "No changes detected" in offline.stdout
    serving = manage("check")
    assert serving.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in serving.stderr


def test_runtime_requirements_hold_no_development_tools():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]

    def names(file: str) -> set[str]:
        lines = (root / file).read_text().splitlines()
        return {re.split(r"[=<>\[ ]", line)[0].lower().replace("_", "-") for line in lines if line[:1].isalnum()}

    runtime, dev = names("requirements.txt"), names("requirements-dev.txt")
    tools = {
        "pytest",
        "pytest-django",
        "playwright",
        "schemathesis",
        "hypothesis",
        "ruff",
        "factory-boy",
        "time-machine",
    }
    assert runtime & tools == set()
    assert tools <= dev
    assert "-r requirements.txt" in (root / "requirements-dev.txt").read_text().splitlines()
    assert {"django", "celery", "gunicorn", "django-csp", "django-storages", "boto3"} <= runtime
    assert all(
        re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.]+", line)
        for line in (root / "requirements.txt").read_text().splitlines()
        if line[:1].isalnum()
    )
