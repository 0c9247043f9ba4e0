"""Delivery errors and disable reasons: English in the API, the reader's language on the pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.events import send_event
from webhooks import messages, services, tasks
from webhooks.models import WebhookDelivery, WebhookEndpoint


@pytest.fixture
def endpoint(receiver, team_a, alice):
    return services.webhook_endpoint_register(team=team_a, actor=alice, url=receiver.url, event_types=["map.published"])


def _emit(capture, team):
    with capture(execute=True):
        send_event(team_id=team.pk, event="map.published", data={})


def test_a_failed_delivery_keeps_english_and_reads_latvian_on_its_page(
    endpoint, receiver, team_a, alice, client_as, api_as, monkeypatch, django_capture_on_commit_callbacks
):
    receiver.status = 500
    monkeypatch.setattr(tasks, "retry_later", lambda *args: None)
    _emit(django_capture_on_commit_callbacks, team_a)

    delivery = WebhookDelivery.objects.get()
    assert delivery.error == "The receiver answered 500."
    assert delivery.error_message == {"code": "status", "params": {"status": 500}}
    api = api_as(alice).get(f"/api/v1/webhook-deliveries/{delivery.pk}/", HTTP_ACCEPT_LANGUAGE="lv")
    assert api.json()["error"] == "The receiver answered 500."

    url = reverse("webhooks:delivery", args=[team_a.slug, endpoint.pk, delivery.pk])
    html = client_as(alice).get(url, HTTP_ACCEPT_LANGUAGE="lv").content.decode()
    assert "Saņēmējs atbildēja ar 500." in html
    assert "The receiver answered" not in html
    log = client_as(alice).get(reverse("webhooks:detail", args=[team_a.slug, endpoint.pk]), HTTP_ACCEPT_LANGUAGE="lv")
    assert "Saņēmējs atbildēja ar 500." in log.content.decode()


def test_the_disable_reason_reads_bulgarian_with_its_cause(
    endpoint, receiver, team_a, alice, client_as, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 2
    receiver.status = 503
    monkeypatch.setattr(tasks, "retry_later", lambda *args: None)
    for _ in range(2):
        _emit(django_capture_on_commit_callbacks, team_a)

    endpoint.refresh_from_db()
    assert endpoint.is_active is False
    assert endpoint.disabled_reason == "Disabled after 2 failed attempts in a row. The receiver answered 503."
    html = client_as(alice).get(reverse("webhooks:detail", args=[team_a.slug, endpoint.pk]), HTTP_ACCEPT_LANGUAGE="bg")
    assert "Деактивирана след поредни неуспешни опити: 2. Получателят отговори с 503." in html.content.decode()


def test_disabled_by_a_person_reads_traditional_chinese(endpoint, team_a, alice, client_as):
    services.webhook_endpoint_update(endpoint=endpoint, actor=alice, is_active=False)

    endpoint.refresh_from_db()
    assert endpoint.disabled_reason == "Disabled by alice."
    html = (
        client_as(alice)
        .get(reverse("webhooks:detail", args=[team_a.slug, endpoint.pk]), HTTP_ACCEPT_LANGUAGE="zh-hant")
        .content.decode()
    )
    assert "由 alice 停用。" in html
    assert "Disabled by alice." not in html


def test_a_reason_stored_without_a_code_is_shown_as_stored(endpoint):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False, disabled_reason="Turned off by hand.")
    endpoint.refresh_from_db()
    assert endpoint.disabled_reason_text == "Turned off by hand."


def test_every_text_renders_in_every_language():
    from django.utils import translation

    params = {"seconds": 10, "detail": "x", "status": 500, "attempt": 3, "user": "alice", "count": 20}
    for code in messages.TEXTS:
        stored = messages.message(code, **params)
        english = messages.render_english(stored)
        for language in ("zh-hant", "zh-hans", "lv", "bg"):
            with translation.override(language):
                text = messages.render(stored)
            assert text and text != english, (code, language)
