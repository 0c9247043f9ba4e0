"""The experiment log speaks the reader's language: pages, result texts, messages and API errors."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import translation

from experiments import selectors, services, stats

from .factories import journey

D = dt.date


@pytest.fixture(autouse=True)
def _back_to_english():
    """A request leaves its language active in the thread; later tests read English."""
    yield
    translation.activate("en")


@pytest.fixture
def experiment(team_a, alice):
    _journey_map, _stage, touchpoint, _ = journey(team_a)
    metric = services.metric_create(
        team=team_a, actor=alice, name="Activation rate", key="activation", kind="proportion"
    )
    experiment = services.experiment_create(
        team=team_a,
        actor=alice,
        title="Three-step onboarding",
        change="Cut onboarding from 4 steps to 3",
        primary_metric=metric,
        expected_effect=8,
        test_start=D(2025, 3, 3),
        test_end=D(2025, 3, 30),
        touchpoint=touchpoint,
    )
    services.observation_upsert(
        actor=None,
        metric=metric,
        period_start=D(2025, 3, 3),
        period_end=D(2025, 3, 30),
        segment="control",
        sample_size=1000,
        successes=300,
    )
    return experiment


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize(
    ("language", "words", "english"),
    [
        (
            "zh-hant",
            ["假設", "實驗紀錄", "在旅程中的位置", "無法計算", "對照組"],
            ["Hypothesis", "On the journey", "Cannot compute"],
        ),
        (
            "bg",
            ["Хипотеза", "Дневник на експериментите", "В пътуването", "Не може да се изчисли"],
            ["Deviations from the plan"],
        ),
    ],
)
def test_experiment_page_speaks_the_readers_language(client_as, alice, experiment, language, words, english):
    response = client_as(alice).get(reverse("experiments:detail", args=[experiment.pk]), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    text = _visible_text(response.content.decode())
    for word in words:
        assert word in text
    for word in english:
        assert word not in text


def test_analysis_reasons_are_translated_when_computed(experiment):

    with translation.override("zh-hant"):
        analysis = selectors.experiment_analysis(experiment)
    # No treatment observations: the missing-data reason names the metric in Traditional Chinese.
    assert analysis["no_data"] == "Activation rate 在實驗組區隔中沒有觀測值。"
    assert analysis["metrics"][0]["units"]["change"] == "百分點"
    with translation.override("bg"):
        comparison = selectors.translated(stats.two_proportions(successes_a=1, n_a=1, successes_b=1, n_b=1))
    assert comparison.reason == "Всяка група се нуждае от извадка поне 2."
    # stats itself stays English (and free of Django).
    assert stats.two_proportions(successes_a=1, n_a=1, successes_b=1, n_b=1).reason == (
        "Each group needs a sample of at least 2."
    )


def test_api_errors_follow_accept_language(api_as, alice, experiment):
    client = api_as(alice)
    response = client.post("/api/v1/observations/bulk/", {"observations": []}, format="json", HTTP_ACCEPT_LANGUAGE="lv")
    assert response.status_code == 400
    assert response.json()["errors"]["non_field_errors"] == ["Nosūtiet observations: sarakstu ar 1 līdz 5 000 rindām."]
    response = client.post(
        f"/api/v1/experiments/{experiment.pk}/transition/",
        {"status": "analysing"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    assert "实验无法从“构想”变为“分析中”。" in str(response.json())


def test_success_message_is_translated(client_as, alice, team_a):
    response = client_as(alice).post(
        reverse("experiments:metric_list"),
        {"name": "NPS", "key": "nps", "kind": "nps", "better": "higher"},
        HTTP_ACCEPT_LANGUAGE="bg",
        follow=True,
    )
    assert "Показателят „NPS“ е добавен." in response.content.decode()
