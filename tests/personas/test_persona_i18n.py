"""The personas app's own texts follow the reader's language: API errors, service errors, labels."""

import pytest
from django.utils import translation

from personas import services
from personas.models import Persona, Scenario


@pytest.fixture(autouse=True)
def _back_to_english():
    """A request leaves its language active in the thread; later tests read English."""
    yield
    translation.activate("en")


def test_api_errors_follow_accept_language(api_as, erin, shopper):
    client = api_as(erin)
    response = client.patch(
        f"/api/v1/personas/{shopper.pk}/", {"name": "x"}, format="json", HTTP_IF_MATCH="abc", HTTP_ACCEPT_LANGUAGE="bg"
    )
    assert response.status_code == 400
    assert "If-Match трябва да е номер на ревизия" in str(response.json())


def test_service_errors_name_the_maps_in_the_readers_language(erin, shopper, draw_map):
    draw_map("Online shop", persona=shopper)
    with translation.override("zh-hant"):
        try:
            services.persona_delete(persona=shopper, actor=erin)
        except services.ValidationError as exc:
            message = " ".join(exc.messages)
        else:
            raise AssertionError("a persona with maps must not be deleted")
    assert message.startswith("已有旅程地圖以此人物誌繪製：「Online shop」。")
    assert Persona.objects.filter(pk=shopper.pk).exists()


def test_choices_and_labels_are_translated():
    with translation.override("lv"):
        assert str(Scenario.Kind.SWITCHING.label) == "Pāriet no konkurenta"
        assert str(Persona._meta.get_field("role").verbose_name) == "loma vai segments"
    with translation.override("en"):
        assert str(Scenario.Kind.SWITCHING.label) == "Switching from a competitor"
