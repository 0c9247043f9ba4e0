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
