"""The weekly review in its reader's language: the agenda page and the digest email.

These need the compiled catalogs (``make install`` runs ``compilemessages``).
"""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from reviews import digest
from teams.models import UserPreference

pytestmark = pytest.mark.django_db

MONDAY_MORNING = datetime.datetime(2025, 6, 9, 6, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("language", "translated", "english"),
    [
        ("zh-hant", ("地圖健康度", "地圖變更", "記錄這次檢視", "與會者", "新增待辦事項", "每週檢視"), ("Map health",)),
        (
            "bg",
            ("Състояние на картата", "Промени в картата", "Запис на този преглед", "Участници", "Добавяне на задача"),
            ("Map changes",),
        ),
    ],
)
def test_the_review_page_speaks_the_readers_language(client_as, erin, shop_map, v1, language, translated, english):
    response = client_as(erin).get(reverse("reviews:map_review", args=[shop_map.pk]), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}"' in html
    for text in translated:
        assert text in html, text
    for text in (*english, "Record this review", "Add an action item", "Past reviews"):
        assert text not in html, text


def test_each_digest_is_in_its_readers_language(team_a, shop_map, checkout, record, erin, alice, mailoutbox):
    """erin chose Bulgarian; alice has no choice of her own, so the team's Traditional Chinese applies."""
    team_a.language = "zh-hant"
    team_a.save(update_fields=["language"])
    UserPreference.objects.create(user=erin, language="bg")
    with time_machine.travel(MONDAY_MORNING - datetime.timedelta(days=7), tick=False):
        record(
            shop_map,
            items=[
                {"title": "Show the delivery date", "owner": erin, "due_date": datetime.date(2025, 6, 5)},
                {"title": "Check returns analytics", "owner": alice, "due_date": datetime.date(2025, 6, 20)},
            ],
        )
    with time_machine.travel(MONDAY_MORNING, tick=False), translation.override("en"):
        digest.digest_send_team(team=team_a)
        # Sending leaves the worker's own language as it was.
        assert translation.get_language() == "en"
    by_person = {m.to[0]: m for m in mailoutbox}
    to_erin, to_alice = by_person["erin@example.com"], by_person["alice@example.com"]
    assert to_erin.subject == "Team A: вашата седмица в Waymark (изисква внимание)"
    assert "Show the delivery date (Online shop): срок " in to_erin.body
    assert "ПРОСРОЧЕНА" in to_erin.body
    assert "Вашите задачи" in to_erin.alternatives[0].content
    assert to_alice.subject == "Team A：您在 Waymark 的這一週"
    assert "您的待辦事項" in to_alice.body
    assert "needs attention" not in to_alice.subject


def test_api_errors_follow_accept_language(api_as, erin, shop_map):
    response = api_as(erin).post(
        "/api/v1/reviews/", {"map": shop_map.pk, "date": "2999-01-01"}, format="json", HTTP_ACCEPT_LANGUAGE="bg"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["date"] == ["Преглед не може да се запише с бъдеща дата."]


def test_an_action_item_row_error_is_in_the_readers_language(client_as, erin, shop_map):
    data = {"date": "2025-06-09", "kind": "weekly", "notes": "n", "decisions": "d", "rows": ["a1"]}
    data.update({"item-a1-title": "", "item-a1-owner": erin.pk})
    response = client_as(erin).post(
        reverse("reviews:map_review", args=[shop_map.pk]), data, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="lv"
    )
    assert response.status_code == 400
    assert "Norādiet uzdevuma nosaukumu vai notīriet rindu." in response.content.decode()
