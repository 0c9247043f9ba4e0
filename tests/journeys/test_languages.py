"""Journeys in the reader's language: pages, cards, new maps' stages, API errors, import problems.

These need the compiled catalogs (``make install`` runs ``compilemessages``).
"""

import pytest
from django.urls import reverse
from django.utils import translation

from journeys import services
from journeys.health import map_health
from journeys.models import Stage, Touchpoint

pytestmark = pytest.mark.usefixtures("isolated_registry")


def test_a_new_map_gets_the_default_stages_in_its_creators_language(client_as, erin):
    response = client_as(erin).post(
        reverse("journeys:map_create"), {"title": "網購首購"}, HTTP_ACCEPT_LANGUAGE="zh-hant"
    )
    assert response.status_code == 302
    stages = list(Stage.objects.filter(journey_map__title="網購首購").order_by("position"))
    assert [s.name for s in stages] == ["認知", "考慮", "決策", "購買", "留存", "推薦"]
    # The funnel part still follows the stage's meaning, not its (translated) name.
    assert [s.funnel for s in stages] == ["top", "middle", "middle", "bottom", "bottom", "bottom"]


def test_default_stages_stay_english_for_an_english_speaker(team_a, erin):
    with translation.override("en"):
        journey_map = services.map_create(team=team_a, actor=erin, title="Shop")
    assert list(Stage.objects.filter(journey_map=journey_map).values_list("name", flat=True))[:2] == [
        "Awareness",
        "Consideration",
    ]


def test_the_map_page_and_its_cards_speak_traditional_chinese(client_as, erin, make_map):
    journey_map = make_map(stages=2, per_stage=1)
    html = (
        client_as(erin)
        .get(reverse("journeys:map_detail", args=[journey_map.pk]), HTTP_ACCEPT_LANGUAGE="zh-hant")
        .content.decode()
    )
    assert '<html lang="zh-hant"' in html
    # Template text, a card built in Python, a model choice and an emotion label.
    for text in ("旅程地圖", "地圖健康度", "情緒曲線", "移到下一個階段", "網頁", "好奇", "新增接觸點"):
        assert text in html, text
    for english in ("Journey maps", "Map health", "Move to the next stage", "Web page", "Add touchpoint"):
        assert english not in html, english


def test_bulgarian_map_list_counts_with_plural_forms(client_as, erin, make_map):
    make_map(stages=1, per_stage=1)
    make_map(title="Second", stages=2, per_stage=1)
    html = client_as(erin).get(reverse("journeys:map_list"), HTTP_ACCEPT_LANGUAGE="bg").content.decode()
    assert "1 етап" in html and "2 етапа" in html
    assert "1 точка на допир" in html and "2 точки на допир" in html
    assert "Карти на пътуването" in html


def test_health_reasons_use_latvian_plural_forms(team_a, erin, make_map):
    journey_map = make_map(stages=1, per_stage=2)
    Touchpoint.objects.filter(stage__journey_map=journey_map).update(is_moment=True)
    with translation.override("lv"):
        health = map_health(journey_map)
        messages = [i.message for i in health.issues]
        label = health.label
    assert "2 izšķirošajiem brīžiem nav rādītāja" in messages
    assert label == "Jāpievērš uzmanība"  # 100 − 20 (two moments) − 9 (unverified evidence)


def test_api_errors_follow_accept_language(api_as, erin, make_map):
    journey_map = make_map(stages=1, per_stage=0)
    response = api_as(erin).patch(
        f"/api/v1/maps/{journey_map.pk}/", {"title": "x"}, HTTP_IF_MATCH="banana", HTTP_ACCEPT_LANGUAGE="bg"
    )
    assert response.status_code == 400
    assert "не е ETag на този API" in str(response.json()["errors"]["If-Match"])


def test_import_problems_are_named_in_simplified_chinese(client_as, erin):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("map.json", b'{"format_version": 1, "map": [], "stages": []}')
    response = client_as(erin).post(reverse("journeys:map_import"), {"file": upload}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert "map: 必须是对象" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "changed", "deleted"),
    [
        ("lv", "mainīja pieskārienu punktu “Returns page”", "dzēsa pieskārienu punktu “Returns page”"),
        ("bg", "промени точката на допир „Returns page“", "изтри точката на допир „Returns page“"),
        ("zh-hant", "變更了接觸點「Returns page」", "刪除了接觸點「Returns page」"),
        ("en", "changed the touchpoint “Returns page”", "deleted the touchpoint “Returns page”"),
    ],
)
def test_history_lines_are_whole_sentences_in_the_readers_language(
    client_as, erin, make_map, language, changed, deleted
):
    journey_map = make_map(stages=1, per_stage=1, pains=0)
    tp = Touchpoint.objects.get(stage__journey_map=journey_map)
    services.touchpoint_update(touchpoint=tp, actor=erin, revision=None, name="Returns page")
    client = client_as(erin)
    url = reverse("journeys:touchpoint_history", args=[journey_map.pk, tp.pk])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    who = erin.get_full_name() or erin.username
    assert f"<strong>{who}</strong> {changed}" in html
    services.touchpoint_delete(touchpoint=tp, actor=erin, revision=None)
    html = client.get(reverse("journeys:map_history", args=[journey_map.pk]), HTTP_ACCEPT_LANGUAGE=language)
    assert f"<strong>{who}</strong> {deleted}" in html.content.decode()


def test_a_history_line_escapes_the_name_it_quotes(client_as, erin, make_map):
    journey_map = make_map(stages=1, per_stage=1, pains=0)
    tp = Touchpoint.objects.get(stage__journey_map=journey_map)
    services.touchpoint_update(touchpoint=tp, actor=erin, revision=None, name="<b>Returns</b>")
    html = client_as(erin).get(reverse("journeys:map_history", args=[journey_map.pk])).content.decode()
    assert "“&lt;b&gt;Returns&lt;/b&gt;”" in html
    assert "<b>Returns</b>" not in html
