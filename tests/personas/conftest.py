import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from journeys.models import JourneyMap
from personas import services


@pytest.fixture
def shopper(team_a, erin):
    """A persona of team A with two scenarios, made through the service."""
    return services.persona_create(
        team=team_a,
        actor=erin,
        name="Careful online shopper",
        role="Urban professional",
        goals="Delivery before the weekend\nFree returns",
        quotes="I won't pay until I know when it arrives.",
        scenarios=[{"name": "First order on mobile", "kind": "first_time"}, {"name": "Switching from the store"}],
    )


@pytest.fixture
def draw_map(team_a):
    """Return a function that draws a journey map for a persona (and optionally a scenario)."""

    def draw(title, persona=None, scenario=None):
        return JourneyMap.objects.create(team=team_a, title=title, persona=persona, scenario=scenario)

    return draw


def png_bytes(size=(8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#0f766e").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def png():
    return SimpleUploadedFile("face.png", png_bytes(), content_type="image/png")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
