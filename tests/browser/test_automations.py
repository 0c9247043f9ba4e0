"""Automations in the browser: the builder reads top to bottom with indented branches and live
counts, the email preview per language, all at 390 px with no serious axe violation."""

import pytest
from playwright.sync_api import expect

from automations import engine
from automations import services as auto
from tests.automations.conftest import RETURNS, shop  # noqa: F401 (the fixture)

from .axe import describe, violations

PHONE = {"width": 390, "height": 844}


@pytest.mark.django_db(transaction=True)
def test_the_builder_and_preview_on_a_phone(page, login, team_a, alice, erin, shop, screenshot):  # noqa: F811
    journey_map, stages, checkout = shop
    automation = auto.automation_create(
        actor=alice,
        journey_map=journey_map,
        name="Stalled in Decision: returns policy",
        trigger="stage_stalled",
        trigger_config={"stage": stages["Decision"].pk},
        exit_criteria={"next_stage": True},
    )
    auto.step_add(automation=automation, actor=alice, kind="email", config={"templates": RETURNS})
    auto.step_add(automation=automation, actor=alice, kind="wait", config={"hours": 24})
    branch = auto.step_add(
        automation=automation,
        actor=alice,
        kind="branch",
        config={"condition": {"kind": "stage", "stage": stages["Decision"].pk}},
    )
    auto.step_add(
        automation=automation,
        actor=alice,
        kind="task",
        config={"touchpoint": checkout.pk, "title": "Call {{ first_name }}"},
        parent=branch,
        side="yes",
    )
    auto.automation_activate(automation=automation, actor=alice)
    assert engine.advance()["enrolments"] == 0

    page.set_viewport_size(PHONE)
    login(erin)
    page.goto(f"/automations/{automation.pk}/")
    expect(page.locator("h1")).to_contain_text("Stalled in Decision: returns policy")
    steps = page.locator(".au-step")
    expect(steps).to_have_count(4)
    expect(steps.nth(3)).to_have_class("au-step au-depth-1")
    expect(steps.nth(3)).to_contain_text("Yes · Open a task for the owner")
    expect(page.locator("#builder")).to_contain_text("0 here now")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    found = {"detail": violations(page)}
    screenshot(page, "automations-builder")

    page.get_by_role("link", name="Preview").first.click()
    expect(page.locator("h1")).to_have_text("Email preview")
    page.get_by_role("link", name="繁體中文").click()
    expect(page.locator("#preview")).to_contain_text("退貨政策，Alex")
    expect(page.locator("#preview")).to_contain_text("取消訂閱這些電子郵件")
    found["preview"] = violations(page)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]

    page.goto("/automations/")
    expect(page.locator("table")).to_contain_text("Stalled in Decision: returns policy")
    found["list"] = violations(page)
    assert not any(found.values()), describe(found)
