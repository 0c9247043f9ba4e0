"""The experiment log in the browser: from hypothesis to concluded result, and the CSV import."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from experiments import services
from experiments.models import Experiment, Observation

D = dt.date


def _metric_with_ab_data(team, user):
    metric = services.metric_create(
        team=team, actor=user, name="Activation rate", key="activation", kind="proportion", unit="%"
    )
    rows = []
    for week in range(4):
        start = D(2025, 3, 3) + dt.timedelta(days=7 * week)
        for segment, successes in (("control", 225), ("treatment", 262)):
            rows.append(
                {
                    "metric": metric,
                    "period_start": start,
                    "period_end": start + dt.timedelta(days=6),
                    "segment": segment,
                    "sample_size": 750,
                    "successes": successes + week,
                }
            )
    services.observations_bulk_upsert(rows=rows, actor=None)
    return metric


@pytest.mark.django_db(transaction=True)
def test_hypothesis_to_concluded_result(page, login, alice, team_a, screenshot):
    metric = _metric_with_ab_data(team_a, alice)
    page.on("dialog", lambda dialog: dialog.accept())
    login(alice)
    page.goto("/experiments/")
    expect(page.get_by_text("No experiments yet")).to_be_visible()
    page.get_by_role("button", name="Log a hypothesis").click()

    page.get_by_label("Title").fill("Three-step onboarding")
    page.get_by_label("If we… (the change)").fill("Cut onboarding from 4 steps to 3")
    page.get_by_label("…then this metric").select_option(label=metric.name)
    page.get_by_label("by", exact=True).fill("8")
    page.get_by_label("…because").fill("step 3 repeats step 1")
    page.get_by_label("Test window starts").fill("2025-03-03")
    page.get_by_label("Test window ends").fill("2025-03-30")
    page.get_by_label("Tags").fill("onboarding")
    page.get_by_role("button", name="Log hypothesis").click()

    expect(page.locator("h1")).to_have_text("Three-step onboarding")
    expect(page.get_by_text("Preview from the observations so far")).to_be_visible()
    page.get_by_role("button", name="Plan").click()
    expect(page.get_by_role("button", name="Start running")).to_be_visible()
    page.get_by_role("button", name="Start running").click()
    expect(page.get_by_text("Pre-registered", exact=False).first).to_be_visible()
    expect(page.locator(f"#chart-{metric.pk}")).to_be_visible()
    screenshot(page, "experiment-running")

    page.get_by_role("button", name="Conclude", exact=True).click()
    page.get_by_label("Decision").select_option("ship")
    page.get_by_label("Learning").fill("Three steps are enough; step 3 only repeated step 1.")
    page.get_by_role("button", name="Conclude experiment").click()

    expect(page.get_by_role("heading", name="Conclusion")).to_be_visible()
    expect(page.locator(".xp-badges")).to_contain_text("Supported")
    expect(page.locator(".xp-result-table")).to_contain_text("Two-proportion z-test")
    experiment = Experiment.objects.get()
    assert (experiment.status, experiment.decision, experiment.outcome) == ("concluded", "ship", "supported")
    screenshot(page, "experiment-detail")

    page.goto("/experiments/")
    expect(page.locator(".xp-timeline")).to_contain_text("Three-step onboarding")
    page.get_by_label("Outcome").select_option("refuted")
    expect(page.get_by_text("No experiment matches")).to_be_visible()
    page.get_by_label("Outcome").select_option("supported")
    expect(page.locator(".xp-timeline")).to_contain_text("Three-step onboarding")
    screenshot(page, "experiments")


@pytest.mark.django_db(transaction=True)
def test_csv_import_preview_then_import(page, login, erin, team_a, screenshot, tmp_path):
    metric = services.metric_create(team=team_a, actor=erin, name="Checkout rate", key="checkout", kind="proportion")
    csv_file = tmp_path / "observations.csv"
    csv_file.write_text(
        "period_start,period_end,segment,sample_size,successes\n"
        "2025-03-03,2025-03-09,control,500,200\n"
        "2025-03-10,2025-03-16,control,500,900\n"
    )
    login(erin)
    page.goto(f"/experiments/metrics/{metric.pk}/import/")
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_text("successes: Successes cannot exceed the sample size.")).to_be_visible()
    screenshot(page, "experiment-import")
    csv_file.write_text(csv_file.read_text().replace("500,900", "500,210"))
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name="Import 2 rows").click()
    expect(page.get_by_text("Imported 2 new observations").first).to_be_visible()
    assert Observation.objects.filter(metric=metric).count() == 2
    screenshot(page, "experiment-metric")
