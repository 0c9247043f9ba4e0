"""Persona photos are served in production too, to the persona's team only, and replaced files go."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from personas import services
from personas.models import Persona

from .conftest import png_bytes

ROOT = Path(__file__).resolve().parents[2]


def stored(persona) -> Path:
    return Path(persona.photo.path)


@pytest.fixture
def with_photo(shopper, erin, png):
    return services.persona_update(persona=shopper, actor=erin, photo=png)


@pytest.mark.parametrize("debug", [True, False])
def test_team_members_get_the_photo_and_nobody_else(client_as, client, with_photo, victor, oscar, settings, debug):
    settings.DEBUG = debug
    url = with_photo.photo.url
    assert url == f"/media/{with_photo.photo.name}"
    response = client_as(victor).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == stored(with_photo).read_bytes()
    assert response["Content-Type"] == "image/png"
    assert "private" in response["Cache-Control"]
    assert client_as(oscar).get(url).status_code == 404


def test_anonymous_is_sent_to_login(client, with_photo):
    response = client.get(with_photo.photo.url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_file_that_is_no_photo_is_not_served(client_as, victor, with_photo, settings):
    (Path(settings.MEDIA_ROOT) / "personas" / "other.txt").write_text("secret")
    assert client_as(victor).get("/media/personas/other.txt").status_code == 404
    assert client_as(victor).get("/media/../config/settings.py").status_code == 404


def test_a_replaced_photo_is_deleted(with_photo, erin, django_capture_on_commit_callbacks):
    first = stored(with_photo)
    assert first.exists()
    replacement = SimpleUploadedFile("new.png", png_bytes((16, 16)), content_type="image/png")
    with django_capture_on_commit_callbacks(execute=True):
        persona = services.persona_update(persona=with_photo, actor=erin, photo=replacement)
    assert not first.exists()
    assert stored(persona).exists() and stored(persona) != first


def test_a_cleared_photo_and_a_deleted_persona_leave_no_file(with_photo, erin, django_capture_on_commit_callbacks):
    first = stored(with_photo)
    with django_capture_on_commit_callbacks(execute=True):
        services.persona_update(persona=with_photo, actor=erin, photo=None)
    assert not first.exists()
    assert Persona.objects.get(pk=with_photo.pk).photo.name == ""

    again = services.persona_update(
        persona=Persona.objects.get(pk=with_photo.pk),
        actor=erin,
        photo=SimpleUploadedFile("face.png", png_bytes(), content_type="image/png"),
    )
    second = stored(again)
    with django_capture_on_commit_callbacks(execute=True):
        services.persona_delete(persona=again, actor=erin)
    assert not second.exists()


def test_s3_compatible_storage_when_configured():
    """MEDIA_S3_* select django-storages' S3 backend: private bucket, signed expiring URLs."""
    code = (
        "import django, json; django.setup();"
        "from django.core.files.storage import default_storage as s;"
        "url = s.url('personas/a.png');"
        "print(json.dumps([type(s._wrapped).__name__, url]))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "MEDIA_S3_BUCKET": "waymark-media",
        "MEDIA_S3_ENDPOINT_URL": "https://s3.example.test",
        "MEDIA_S3_REGION": "eu-central-1",
        "MEDIA_S3_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "MEDIA_S3_SECRET_ACCESS_KEY": "not-a-real-secret",
        "MEDIA_S3_URL_SECONDS": "600",
    }
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    backend, url = json.loads(out.stdout.strip().splitlines()[-1])
    assert backend == "S3Storage"
    assert url.startswith("https://s3.example.test/waymark-media/personas/a.png?")
    assert "X-Amz-Expires=600" in url and "X-Amz-Signature=" in url
