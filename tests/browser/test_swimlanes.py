"""The swimlanes canvas: add the standard lanes, write in a cell, read it on a phone, download the map."""

import io

import pypdf
import pytest
from playwright.sync_api import expect

from journeys import services
from journeys.models import LaneCell, Stage
from tests.browser.axe import describe, violations


@pytest.fixture
def checkout(team_a, erin):
    journey_map = services.map_create(
        team=team_a, actor=erin, title="Furniture checkout", stages=["Consideration", "Decision", "Purchase"]
    )
    stages = list(Stage.objects.filter(journey_map=journey_map).order_by("position"))
    for stage, (name, emotion) in zip(
        stages,
        [("Product page", "curious"), ("Delivery options", "anxious"), ("Order confirmation", "delighted")],
        strict=True,
    ):
        tp = services.touchpoint_create(stage=stage, actor=erin, revision=None, name=name, emotion_label=emotion)
        if emotion == "anxious":
            services.pain_point_create(
                touchpoint=tp, actor=erin, revision=None, title="Delivery date only after payment", severity=5
            )
    return journey_map


@pytest.mark.django_db(transaction=True)
def test_configure_lanes_write_a_cell_and_read_the_canvas_on_a_phone(page, login, erin, checkout, screenshot):
    login(erin)
    page.goto(f"/maps/{checkout.pk}/")
    page.get_by_role("button", name="Swimlanes").click()
    expect(page.locator("h1")).to_have_text("Swimlanes")
    page.get_by_role("button", name="Add the standard lanes").click()
    expect(page.locator("th.wm-lane-title")).to_have_count(8)

    page.get_by_role("link", name="Write · Thoughts · Decision").click()
    page.get_by_label("Text").fill("Will it arrive before the weekend?\nCan I return it?")
    page.get_by_role("button", name="Save").click()
    row = page.locator("tr.wm-lane-thoughts")
    expect(row).to_contain_text("Will it arrive before the weekend?")
    expect(page.locator("tr.wm-lane-pain_points")).to_contain_text("Delivery date only after payment")
    assert LaneCell.objects.get().text == "Will it arrive before the weekend?\nCan I return it?"
    found = violations(page)
    assert found == [], describe({"swimlanes": found})
    screenshot(page, "swimlanes")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download as PDF").click()
    pdf = pypdf.PdfReader(io.BytesIO(download.value.path().read_bytes()))
    assert "Will it arrive before the weekend?" in pdf.pages[0].extract_text()

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(row).to_contain_text("Can I return it?")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    found = violations(page)
    assert found == [], describe({"swimlanes on a phone": found})
    screenshot(page, "swimlanes-phone")

    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_role("button", name="Lanes", exact=True).click()
    found = violations(page)
    assert found == [], describe({"lane settings": found})
    screenshot(page, "swimlanes-lanes")
