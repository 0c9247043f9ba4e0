"""The experiment log in Traditional Chinese and Bulgarian: translated, and the layout holds."""

import pytest
from playwright.sync_api import expect

from experiments import services

from .test_experiments import D, _metric_with_ab_data

PAGES = {
    "zh-hant": {"log": "實驗紀錄", "hypothesis": "假設", "result": "結果", "metrics": "指標"},
    "bg": {"log": "Дневник на експериментите", "hypothesis": "Хипотеза", "result": "Резултат", "metrics": "Показатели"},
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", list(PAGES))
def test_experiment_pages_in_other_languages(page, login, alice, team_a, screenshot, language):
    metric = _metric_with_ab_data(team_a, alice)
    experiment = services.experiment_create(
        team=team_a,
        actor=alice,
        title="Three-step onboarding",
        change="Cut onboarding from 4 steps to 3",
        primary_metric=metric,
        expected_effect=8,
        rationale="step 3 repeats step 1",
        test_start=D(2025, 3, 3),
        test_end=D(2025, 3, 30),
    )
    for status in ("planned", "running"):
        services.experiment_transition(experiment=experiment, actor=alice, to=status)
    login(alice)
    page.set_extra_http_headers({"Accept-Language": language})
    words = PAGES[language]

    page.goto(f"/experiments/{experiment.pk}/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_role("heading", name=words["hypothesis"])).to_be_visible()
    expect(page.get_by_role("heading", name=words["result"], exact=True)).to_be_visible()
    expect(page.locator(f"#chart-{metric.pk}")).to_be_visible()
    # Longer labels wrap: the page itself never scrolls sideways (the result table has its own scroller).
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1366
    screenshot(page, f"experiment-running-{language}")

    page.goto("/experiments/")
    expect(page.locator("h1")).to_have_text(words["log"])
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1366
    screenshot(page, f"experiments-{language}")

    page.goto(f"/experiments/metrics/{metric.pk}/")
    expect(page.locator(".wm-eyebrow")).to_contain_text(words["metrics"])
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1366
    screenshot(page, f"experiment-metric-{language}")
