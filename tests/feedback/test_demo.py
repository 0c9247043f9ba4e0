"""The Traditional Chinese demo team's surveys: texts in zh-Hant, 90 days of answers, follow-ups; made once."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from feedback import demo
from feedback.models import Display, FollowUp, Response, ResponseTheme, Survey, Theme
from journeys import demo as journey_demo
from personas import demo as persona_demo
from teams import demo as team_demo

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def zh_context(db):
    context = team_demo.seed()
    zh_context = team_demo.seed_zh_hant(context)
    zh_context.update(persona_demo.seed_zh_hant(zh_context))
    zh_context.update(journey_demo.seed_zh_hant(zh_context))
    return zh_context


def _counts():
    return [m.objects.count() for m in (Theme, Survey, Response, Display, ResponseTheme, FollowUp)]


def _nps(scores: list[int]) -> float:
    return 100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores)


def test_zh_hant_surveys_speak_traditional_chinese_with_90_days_of_answers_once(zh_context):
    started = timezone.now()
    surveys = demo.seed_zh_hant(zh_context)["surveys"]
    team = zh_context["team"]
    assert {s.kind for s in surveys.values()} == {"nps", "csat"}
    checkout = surveys["checkout"]
    assert checkout.name == "結帳 NPS" and checkout.status == "active"
    assert checkout.default_locale == "zh-Hant"
    assert checkout.title["zh-Hant"] == "結帳還順利嗎？"
    assert checkout.touchpoint.name == "結帳與付款（LINE Pay／信用卡）"
    assert checkout.questions.get(key="score").text["zh-Hant"] == "您有多大的可能會向親友推薦晨光選物？"
    assert surveys["unboxing"].questions.get(key="score").kind == "rating"
    assert surveys["draft"].status == "draft"

    responses = Response.objects.filter(team=team)
    assert responses.count() > 1000
    assert not responses.filter(created_at__lt=started - timedelta(days=90)).exists()
    assert responses.filter(created_at__gte=started - timedelta(days=7)).exists()
    assert set(responses.values_list("locale", flat=True)) == {"zh-Hant", "en"}
    comments = [a["comment"] for a in responses.values_list("answers", flat=True) if "comment" in a]
    assert comments and all(CJK.search(c) for c in comments)
    # A realistic spread: detractors, passives and promoters; dissatisfied and satisfied CSAT.
    nps_scores = list(responses.filter(survey=checkout).values_list("score", flat=True))
    assert min(nps_scores) <= 6 and max(nps_scores) >= 9 and any(s in (7, 8) for s in nps_scores)
    csat = set(responses.filter(survey=surveys["unboxing"]).values_list("score", flat=True))
    assert csat & {1, 2, 3} and csat & {4, 5}
    # The checkout recovers after the delivery date reached the product page.
    release = started - timedelta(days=demo.ZH_HANT_DAYS - demo.ZH_HANT_RELEASE_DAY)
    before = list(responses.filter(survey=checkout, created_at__lt=release).values_list("score", flat=True))
    last_month = responses.filter(survey=checkout, created_at__gte=started - timedelta(days=30))
    assert _nps(list(last_month.values_list("score", flat=True))) > _nps(before) + 20
    # The B2B survey has few answers, as B2B surveys do.
    assert 10 < responses.filter(survey=surveys["b2b"]).count() < 90

    followups = FollowUp.objects.filter(team=team)
    assert set(followups.values_list("status", flat=True)) == {"open", "acknowledged", "closed"}
    assert not followups.filter(owner__isnull=True).exists()
    assert all(CJK.search(n) for n in followups.exclude(status="open").values_list("notes", flat=True))
    assert ResponseTheme.objects.filter(response__team=team, theme__name="到貨時間").exists()

    counts = _counts()
    again = demo.seed_zh_hant(zh_context)["surveys"]
    assert _counts() == counts
    assert again["checkout"] == checkout
