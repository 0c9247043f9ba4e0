"""Survey builder, results, responses, themes: the HTMX pages."""

import csv
import io

from django.urls import reverse

from feedback import services
from feedback.models import Question, Response, ResponseTheme, Survey, Theme


def test_survey_built_in_the_ui_gets_starter_questions(client_as, alice, team_a, checkout):
    client = client_as(alice)
    response = client.post(
        reverse("feedback:survey_create"),
        {
            "name": "Delivery NPS",
            "kind": "nps",
            "touchpoint": checkout.pk,
            "default_locale": "en",
            "recontact_days": 30,
            "followup_threshold": 7,
            "title_en": "How was delivery?",
        },
    )
    survey = Survey.objects.get(name="Delivery NPS")
    assert response.status_code == 302 and response["Location"] == reverse("feedback:survey_edit", args=[survey.pk])
    assert list(survey.questions.values_list("key", "kind", "is_primary")) == [
        ("score", "nps", True),
        ("comment", "text", False),
    ]
    assert survey.touchpoint == checkout and survey.status == "draft"


def test_survey_form_shows_errors_next_to_fields(client_as, alice, team_a):
    response = client_as(alice).post(
        reverse("feedback:survey_create"), {"name": "", "kind": "nps", "default_locale": "en", "recontact_days": -1}
    )
    # An invalid form is a 400 on full page loads too (teams.htmx.form_flow), with the page shown.
    assert response.status_code == 400
    assert b'id="id_name-error"' in response.content and b'id="id_recontact_days-error"' in response.content
    assert Survey.objects.count() == 0


def test_settings_add_languages_and_bad_origin_is_a_field_error(client_as, alice, survey):
    client = client_as(alice)
    url = reverse("feedback:survey_edit", args=[survey.pk])
    base = {"name": survey.name, "default_locale": "en", "recontact_days": 30, "followup_threshold": 7}
    bad = client.post(url, {**base, "allowed_origins": "shop.example.com/path"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 400 and b"id_allowed_origins-error" in bad.content
    ok = client.post(
        url,
        {
            **base,
            "languages": "lv, bg",
            "allowed_origins": "https://shop.example.com",
            "title_en": "How was checkout?",
            "title_lv": "Kā veicās?",
            "title_bg": "Как мина?",
        },
    )
    assert ok.status_code == 302
    survey.refresh_from_db()
    assert survey.title == {"en": "How was checkout?", "lv": "Kā veicās?", "bg": "Как мина?"}


def test_question_with_translated_choices_is_added_and_moved(client_as, alice, survey):
    client = client_as(alice)
    response = client.post(
        reverse("feedback:question_create", args=[survey.pk]),
        {
            "kind": "single",
            "key": "reason",
            "text_en": "Main worry?",
            "text_zh": "主要顾虑？",
            "choices": "delivery: Delivery time\nreturns: Returns policy",
            "labels_zh": "送货时间\n退货政策",
        },
    )
    assert response.status_code == 302
    question = Question.objects.get(key="reason")
    assert question.text == {"en": "Main worry?", "zh": "主要顾虑？", "ar": ""}  # ar: declared, not yet translated
    assert question.choices[1] == {"value": "returns", "label": {"en": "Returns policy", "zh": "退货政策"}}
    move = client.post(
        reverse("feedback:question_move", args=[survey.pk, question.pk]), {"direction": "up"}, HTTP_HX_REQUEST="true"
    )
    assert move.status_code == 200
    assert list(survey.questions.order_by("position").values_list("key", flat=True)) == ["score", "reason", "comment"]


def test_open_survey_and_preview_in_rtl(client_as, alice, team_a):
    survey = services.survey_create(team=team_a, actor=alice, name="Trust", kind="csat", title={"he": "איך היה?"})
    client = client_as(alice)
    client.post(reverse("feedback:survey_status", args=[survey.pk]), {"status": "active"})
    survey.refresh_from_db()
    assert survey.status == "active"
    preview = client.get(reverse("feedback:survey_preview", args=[survey.pk]), {"locale": "he"})
    assert preview.status_code == 200 and b'dir="rtl"' in preview.content


def test_pages_render_in_a_fixed_number_of_queries(client_as, alice, survey, submit, django_assert_max_num_queries):
    theme = services.theme_create(team=survey.team, actor=alice, name="Delivery", keywords="delivery")
    for score in range(11):
        response = submit(survey, {"score": score, "comment": "delivery slow"})
        ResponseTheme.objects.get_or_create(response=response, theme=theme)
    client = client_as(alice)
    pages = {
        reverse("feedback:survey_list"): 12,
        reverse("feedback:survey_detail", args=[survey.pk]): 16,
        reverse("feedback:survey_edit", args=[survey.pk]): 14,
        reverse("feedback:response_list"): 14,
        reverse("feedback:theme_list"): 10,
    }
    for url, limit in pages.items():
        with django_assert_max_num_queries(limit):
            assert client.get(url).status_code == 200, url


def test_results_page_shows_nps_with_n_and_thin(client_as, alice, survey, submit):
    for score in (10, 9, 2):
        submit(survey, {"score": score})
    page = client_as(alice).get(reverse("feedback:survey_detail", args=[survey.pk])).content.decode()
    assert 'data-testid="figure-nps">33<' in page
    assert "n = 3" in page and "thin" in page


def test_themes_tag_new_answers_on_arrival(alice, survey, submit, django_capture_on_commit_callbacks):
    delivery = services.theme_create(team=survey.team, actor=alice, name="Delivery time", keywords="delivery, shipping")
    services.theme_create(team=survey.team, actor=alice, name="Returns", keywords="return")
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(survey, {"score": 4, "comment": "Shipping took two weeks"})
    assert list(ResponseTheme.objects.filter(response=response).values_list("theme_id", "source")) == [
        (delivery.pk, "auto")
    ]


def test_tag_by_hand_from_the_responses_page(client_as, alice, victor, survey, submit):
    theme = Theme.objects.create(team=survey.team, name="Trust")
    response = submit(survey, {"score": 8})
    url = reverse("feedback:response_themes", args=[response.pk])
    assert client_as(victor).post(url, {"theme": theme.pk}).status_code == 403
    assert client_as(alice).post(url, {"theme": theme.pk, "tagged": "1"}, HTTP_HX_REQUEST="true").status_code == 200
    assert ResponseTheme.objects.get(response=response).source == "manual"


def test_csv_export_streams_filtered_rows(client_as, alice, survey, submit):
    submit(survey, {"score": 9, "comment": "=HYPERLINK(evil)"})
    submit(survey, {"score": 2})
    response = client_as(alice).get(reverse("feedback:response_export"), {"survey": survey.pk, "score_max": 5})
    assert response.status_code == 200 and response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:6] == ["id", "created_at", "survey", "touchpoint", "stage", "score"]
    assert [r[5] for r in rows[1:]] == ["2"]
    assert Response.objects.count() == 2
