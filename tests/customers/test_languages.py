"""Customers in the reader's language: the pages, the map's cards, ingestion errors and the admin.

These need the compiled catalogs (``make install`` runs ``compilemessages``).
"""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation

from customers import services
from customers.models import Event, ProfileMerge
from customers.stages import events_match
from journeys.models import JourneyMap, Stage, Touchpoint
from reviews.models import ActionItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def visitors(source):
    """ana and dan identified; eve signing in on dan's tablet is a refused merge."""
    result = services.events_ingest(
        source=source,
        items=[
            {"type": "identify", "userId": "ana", "anonymousId": "a-ana", "traits": {"plan": "team"}},
            {"type": "track", "event": "Checkout Started", "userId": "ana"},
            {"type": "identify", "userId": "dan", "anonymousId": "shared-tablet"},
            {"type": "identify", "userId": "eve"},
            {"type": "identify", "userId": "eve", "anonymousId": "shared-tablet"},
        ],
        received_at=timezone.now(),
    )
    events_match(event_ids=result.event_ids)
    return result


@pytest.mark.parametrize(
    ("language", "translated", "english"),
    [
        (
            "zh-hant",
            ("<h1>客戶</h1>", "資料來源與設定", "首次出現", "使用者 ID、匿名 ID 或別名"),
            ("Sources and setup",),
        ),
        ("zh-hans", ("<h1>客户</h1>", "数据源与设置", "首次出现"), ("First seen",)),
        ("lv", ("<h1>Klienti</h1>", "Avoti un iestatīšana", "Pirmoreiz redzēts"), ("Last seen",)),
        ("bg", ("<h1>Клиенти</h1>", "Източници и настройка", "Първа поява"), ("Search",)),
    ],
)
def test_the_profile_list_speaks_the_readers_language(client_as, alice, visitors, language, translated, english):
    response = client_as(alice).get(reverse("customers:profile_list"), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}"' in html
    assert "ana" in html
    for text in translated:
        assert text in html, text
    for text in (*english, "<h1>Customers</h1>", "Profiles appear as soon as"):
        assert text not in html, text


def test_the_sources_page_in_bulgarian_names_the_source_in_the_right_gender(client_as, alice, source, visitors):
    html = client_as(alice).get(reverse("customers:source_list"), HTTP_ACCEPT_LANGUAGE="bg").content.decode()
    assert "<h1>Източници</h1>" in html
    assert "Последно получени събития" in html
    assert "Създаване на източник" in html
    # The source kind is a model choice; "Revoke" is the action, "Активен" (masculine, like източник) the state.
    assert "Уебсайт" in html
    assert "Last events received" not in html and "Create source" not in html


def test_the_profile_page_in_latvian_translates_the_timeline_and_a_refused_merge(client_as, alice, visitors):
    merge = ProfileMerge.objects.get(status=ProfileMerge.Status.REFUSED)
    html = (
        client_as(alice)
        .get(reverse("customers:profile_detail", args=[merge.into_profile_id]), HTTP_ACCEPT_LANGUAGE="lv")
        .content.decode()
    )
    assert "Laika skala" in html and "Identitātes" in html and "Apvienošanas" in html
    assert '<span class="wm-badge">Notikums</span>' in html
    assert "Noraidīts" in html
    assert "profiliem ir divi dažādi lietotāja ID (" in html
    assert "two different user ids" not in html
    # Stored in English all the same: the API and the logs read it.
    assert "two different user ids" in merge.reason


def test_a_reason_not_written_by_the_identity_code_shows_as_stored(team_a, visitors):
    merge = ProfileMerge.objects.get(status=ProfileMerge.Status.REFUSED)
    merge.reason = "refused by hand"
    with translation.override("bg"):
        assert merge.reason_display == "refused by hand"


def test_event_flags_show_in_the_readers_language(source):
    event = Event(flags=["clock_skew", "unknown_flag"])
    with translation.override("zh-hans"):
        assert event.flag_labels == ["客户端时钟有偏差（已校正）", "unknown_flag"]


def test_ingestion_errors_follow_accept_language_and_keep_the_code(send):
    response = send("track", {"userId": "u1"}, HTTP_ACCEPT_LANGUAGE="bg")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "missing_event"
    assert body["message"] == "track изисква име на събитие."
    response = send("track", {"userId": "u1", "event": "A"}, key="wk" + "0" * 50, HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_write_key"
    assert response.json()["message"] == "此寫入金鑰不存在或已撤銷。"


def test_the_map_card_says_not_instrumented_in_traditional_chinese(client_as, alice, team_a):
    journey_map = JourneyMap.objects.create(team=team_a, title="Shop")
    decision = Stage.objects.create(journey_map=journey_map, name="Decision", position=0)
    checkout = Touchpoint.objects.create(stage=decision, name="Checkout")
    Touchpoint.objects.create(stage=decision, name="Returns policy page")
    services.tracking_rule_create(actor=alice, stage=decision, touchpoint=checkout, event_name="Checkout Started")
    html = (
        client_as(alice)
        .get(reverse("journeys:map_detail", args=[journey_map.pk]), HTTP_ACCEPT_LANGUAGE="zh-hant")
        .content.decode()
    )
    assert "未設定追蹤：沒有追蹤規則" in html
    assert "未設定追蹤：30 天內沒有事件" in html
    assert "最近 30 天" in html  # the period selector
    assert "目前有 0 位客戶在此" in html
    assert "Not instrumented" not in html


def test_the_admin_labels_customers_and_review_models_in_the_readers_language(client, team_a, alice):
    journey_map = JourneyMap.objects.create(team=team_a, title="Shop")
    stage = Stage.objects.create(journey_map=journey_map, name="Decision", position=0)
    services.tracking_rule_create(actor=alice, stage=stage, path_pattern="/checkout*")
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    html = client.get("/admin/customers/trackingrule/", HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
    assert "追蹤規則" in html and "事件類型" in html and "路徑樣式" in html
    html = client.get("/admin/reviews/actionitem/add/", HTTP_ACCEPT_LANGUAGE="bg").content.decode()
    assert "Срок" in html and "Изпълнена на" in html and "Точка на допир" in html
    assert "Due date" not in html
    with translation.override("lv"):
        assert str(ActionItem._meta.get_field("done_at").verbose_name) == "izpildes laiks"
