"""The shell, the team pages, the admin and the API speak the reader's language."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from teams.api_auth import ApiKeyRateThrottle
from teams.models import Team
from webhooks import delivery as sending
from webhooks.models import WebhookEndpoint


def test_the_shell_and_the_team_pages_speak_bulgarian(client_as, alice, team_a):
    page = client_as(alice).get(reverse("teams:members", args=[team_a.slug]), HTTP_ACCEPT_LANGUAGE="bg")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Към съдържанието" in html  # the skip link
    assert "Изход" in html  # log out, in the account menu
    assert "Добавяне на член" in html  # the invite form's button
    assert "Администратор" in html  # the role choices
    assert "Skip to content" not in html and "Add member" not in html


def test_the_navigation_labels_are_translated(client_as, alice):
    html = client_as(alice).get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
    assert ">首頁</a>" in html
    assert ">人物誌</a>" in html
    assert ">Personas</a>" not in html


def test_persona_counts_use_the_languages_plural_forms(client_as, alice):
    from tests.personas.factories import PersonaFactory

    for n in range(2):
        PersonaFactory(team=alice.memberships.get().team, name=f"Persona {n}")
    html = client_as(alice).get(reverse("personas:list"), HTTP_ACCEPT_LANGUAGE="lv").content.decode()
    assert "2 personas" in html  # Latvian: the form for 2 (not the singular "persona")
    html = client_as(alice).get(reverse("personas:list"), HTTP_ACCEPT_LANGUAGE="bg").content.decode()
    assert "2 персони" in html


def test_a_message_after_an_action_is_in_the_persons_language(client_as, alice, team_a):
    client = client_as(alice)
    response = client.post(
        reverse("teams:settings", args=[team_a.slug]),
        {"name": "Team A", "accent_color": "#4f46e5", "language": ""},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
        follow=True,
    )
    assert "团队设置已保存。" in response.content.decode()


def test_api_errors_honour_accept_language(api_client, key_client, victor, api_as, team_a):
    refused = api_client.get("/api/v1/teams/", HTTP_AUTHORIZATION="Bearer wm_nope_nope", HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert refused.status_code == 401
    assert refused.json()["detail"] == "API 金鑰無效。"

    viewer = api_as(victor)
    write = viewer.patch(f"/api/v1/teams/{team_a.pk}/", {"name": "X"}, format="json", HTTP_ACCEPT_LANGUAGE="lv")
    assert write.status_code == 403
    assert write.json()["detail"] == "Jūsu loma šajā komandā to neatļauj."

    english = viewer.patch(f"/api/v1/teams/{team_a.pk}/", {"name": "X"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["detail"] == "Your role in this team does not allow this."


def test_a_service_validation_error_reaches_the_api_translated(api_as, alice, team_a):
    response = api_as(alice).post(
        "/api/v1/memberships/", {"team": team_a.pk, "user": "nobody-here"}, format="json", HTTP_ACCEPT_LANGUAGE="bg"
    )
    assert response.status_code == 400
    expected = "Няма точно един потребител с потребителско име или имейл „nobody-here“."
    assert response.json()["errors"]["user"] == [expected]


def test_the_429_sentence_is_translated_and_keeps_retry_after(monkeypatch, key_client):
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "1/min"})
    client = key_client()
    assert client.get("/api/v1/teams/").status_code == 200
    response = client.get("/api/v1/teams/", HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 1 <= wait <= 60
    assert response.json()["detail"] == f"請求過於頻繁，已被限制。 預計 {wait} 秒後可再使用。"
    assert response.json()["code"] == "throttled"

    english = client.get("/api/v1/teams/", HTTP_ACCEPT_LANGUAGE="en")
    wait = int(english["Retry-After"])
    unit = "second" if wait == 1 else "seconds"
    assert english.json()["detail"] == f"Request was throttled. Expected available in {wait} {unit}."


def test_the_admin_names_the_teams_models_in_the_readers_language(db, client):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    html = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
    assert "API 金鑰" in html  # ApiKey's verbose_name_plural
    assert "成員資格" in html  # Membership's
    assert ">團隊<" in html or "團隊</a>" in html  # the app's own name
    change = client.get(reverse("admin:teams_apikey_changelist"), HTTP_ACCEPT_LANGUAGE="bg").content.decode()
    assert "Обхват" in change or "обхват" in change  # the scope column


@pytest.mark.django_db
def test_the_webhook_disabled_email_is_in_the_teams_language(team_a, alice, mailoutbox):
    Team.objects.filter(pk=team_a.pk).update(language="bg")
    endpoint = WebhookEndpoint.objects.create(
        team=team_a, url="https://hooks.example.com/x", event_types=["map.published"], secret="s", is_active=False
    )
    sending._notify_disabled(endpoint.pk)
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject == "[Waymark] Webhook е деактивиран: https://hooks.example.com/x"
    assert "Waymark спря да изпраща събитията на Team A" in mailoutbox[0].body


def test_the_admin_names_the_apps_in_the_readers_language(db, client):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    html = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="bg").content.decode()
    for app in ("Персони", "Клиенти"):
        assert f">{app}</a>" in html, app
    assert ">Personas</a>" not in html
    # Experiments registers no admin yet; its name is translated all the same.
    from django.apps import apps
    from django.utils import translation

    with translation.override("bg"):
        assert str(apps.get_app_config("experiments").verbose_name) == "Експерименти"


def test_archiving_a_persona_says_so_in_the_persons_language(client_as, alice, team_a):
    from personas import services as persona_services

    persona = persona_services.persona_create(team=team_a, actor=alice, name="Ana")
    client = client_as(alice)
    page = client.post(reverse("personas:archive", args=[persona.pk]), HTTP_ACCEPT_LANGUAGE="lv", follow=True)
    assert "“Ana” arhivēta. Kartes, kurās tā izmantota, to saglabā" in page.content.decode()
    page = client.post(reverse("personas:restore", args=[persona.pk]), HTTP_ACCEPT_LANGUAGE="bg", follow=True)
    assert "„Ana“ е възстановена." in page.content.decode()


def test_the_503_of_an_unreachable_redis_is_translated(rf):
    from django.utils import translation
    from redis.exceptions import ConnectionError as RedisConnectionError

    from teams.middleware import SharedServiceUnavailableMiddleware

    middleware = SharedServiceUnavailableMiddleware(lambda request: None)
    with translation.override("zh-hant"):
        response = middleware.process_exception(rf.get("/api/v1/maps/"), RedisConnectionError("down"))
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["code"] == "unavailable"
    assert body["detail"] == "Waymark 依賴的一項服務暫時無法使用，請稍後再試。"
