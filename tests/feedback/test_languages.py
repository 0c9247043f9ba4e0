"""The survey speaks the respondent's language and the feedback pages the user's: built-in widget
texts, the public endpoint's errors and the hosted page come from the gettext catalogs."""

import pytest
from django.urls import reverse

from feedback import public
from feedback.models import Survey


def definition(client, survey, **params):
    return client.get(reverse("feedback_public:survey_definition", args=[survey.public_key]), params)


@pytest.fixture
def multilingual(survey):
    survey.title = {
        **survey.title,
        "zh-TW": "結帳體驗如何？",
        "lv": "Kā veicās?",
        "bg": "Как беше?",
        "he": "איך היה?",
        "de": "Wie war es?",
    }
    survey.save()
    return survey


@pytest.mark.parametrize(
    ("locale", "send", "thanks"),
    [
        ("zh-CN", "提交", "感谢您的反馈！"),
        ("zh-TW", "送出", "感謝您的回饋！"),
        ("lv", "Nosūtīt", "Paldies par atsauksmi!"),
        ("bg", "Изпрати", "Благодарим за обратната връзка!"),
        # Languages the interface does not speak keep the widget's words (feedback/locale/he).
        ("he", "שליחה", "תודה על המשוב!"),
        # No catalog: the English msgids.
        ("de", "Send", "Thank you for your feedback!"),
    ],
)
def test_widget_texts_come_from_the_catalogs_in_the_respondents_language(client, multilingual, locale, send, thanks):
    body = definition(client, multilingual, locale=locale).json()
    assert body["ui"]["submit"] == send
    assert body["thank_you"] == thanks
    assert set(body["ui"]) == set(public.UI_TEXT)


def test_traditional_chinese_is_told_apart_from_simplified():
    assert public.ui_language("zh-TW") == public.ui_language("zh-Hant-HK") == "zh-hant"
    assert public.ui_language("zh") == public.ui_language("zh_CN") == "zh-hans"
    assert public.ui_language("xx-not-a-language") == "en"
    assert public.ui_text("zh-hk")["close"] == "關閉" and public.ui_text("zh-sg")["close"] == "关闭"


def test_definition_is_built_once_per_survey_and_language(client, multilingual, monkeypatch, settings):
    settings.FEEDBACK_SURVEY_CACHE_SECONDS = 60
    built = []
    original = public.survey_definition_data

    def counting(survey, questions, locale):
        built.append(locale)
        return original(survey, questions, locale)

    monkeypatch.setattr(public, "survey_definition_data", counting)
    for _ in range(3):
        assert definition(client, multilingual, locale="bg").status_code == 200
    assert definition(client, multilingual, locale="lv").json()["ui"]["submit"] == "Nosūtīt"
    assert built == ["bg", "lv"]
    # A change to the survey reloads it, in every language.
    multilingual.title = {**multilingual.title, "bg": "Как мина?"}
    multilingual.save()
    assert definition(client, multilingual, locale="bg").json()["title"] == "Как мина?"
    assert built == ["bg", "lv", "bg"]


def test_public_errors_follow_accept_language(client, survey):
    missing = client.get(reverse("feedback_public:survey_definition", args=["no-such-key"]), HTTP_ACCEPT_LANGUAGE="bg")
    assert missing.status_code == 404 and missing.json()["detail"] == "Няма такава анкета."
    refused = client.post(
        reverse("feedback_public:survey_responses", args=[survey.public_key]),
        data="{}",
        content_type="text/plain",
        HTTP_ACCEPT_LANGUAGE="zh-hant",
    )
    assert refused.status_code == 415
    assert refused.json()["detail"] == "請以 application/json 傳送內容。"
    assert refused.json()["errors"] == {"content_type": ["必須是 application/json。"]}


def test_hosted_page_speaks_the_survey_language_not_the_browsers(client, multilingual):
    page = reverse("feedback_public:survey_page", args=[multilingual.public_key])
    invalid = client.post(f"{page}?locale=bg", {"submission_id": "hosted-lang-1", "q_comment": "x", "locale": "bg"})
    assert invalid.status_code == 400
    assert "Този въпрос изисква отговор." in invalid.content.decode()
    Survey.objects.filter(pk=multilingual.pk).update(status="closed")
    closed = client.get(page, {"locale": "zh-TW"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "此問卷已關閉，感謝您的關注。" in closed.content.decode()
    assert closed["Content-Language"] == "zh-TW"


@pytest.mark.parametrize(("language", "words"), [("bg", ["Нова анкета", "Анкети"]), ("zh-hant", ["新增問卷", "問卷"])])
def test_survey_pages_read_in_the_users_language(client, alice, survey, language, words):
    client.force_login(alice)
    body = client.get(reverse("feedback:survey_list"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert all(word in body for word in words)
    assert "New survey" not in body


def test_api_errors_follow_accept_language(api_as, alice, survey):
    twice = [{"key": "score", "kind": "nps", "text": {"en": "?"}, "is_primary": True}] * 2
    response = api_as(alice).patch(
        reverse("survey-detail", args=[survey.pk]), {"questions": twice}, format="json", HTTP_ACCEPT_LANGUAGE="bg"
    )
    assert response.status_code == 400
    assert "Два въпроса имат ключ „score“." in str(response.json())


@pytest.mark.parametrize(
    ("language", "label"),
    [("zh-hant", "分數"), ("zh-hans", "分数"), ("lv", "Vērtējumi"), ("bg", "Оценки"), ("en", "Scores")],
)
def test_the_map_pages_scores_link_is_in_the_readers_language(client_as, erin, shop_map, language, label):
    url = reverse("feedback:map_scores", args=[shop_map.pk])
    html = (
        client_as(erin)
        .get(reverse("journeys:map_detail", args=[shop_map.pk]), HTTP_ACCEPT_LANGUAGE=language)
        .content.decode()
    )
    assert f'<a href="{url}" class="secondary outline" role="button">{label}</a>' in html
