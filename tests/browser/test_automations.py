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


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}, PHONE], ids=["1366", "390"])
def test_the_step_form_shows_only_the_chosen_kinds_fields(
    page,
    login,
    htmx_idle,
    team_a,
    alice,
    erin,
    shop,  # noqa: F811
    viewport,
):
    journey_map, stages, checkout = shop
    automation = auto.automation_create(
        actor=alice,
        journey_map=journey_map,
        name="Stalled in Decision",
        trigger="stage_stalled",
        trigger_config={"stage": stages["Decision"].pk},
    )
    page.set_viewport_size(viewport)
    login(erin)
    page.goto(f"/automations/{automation.pk}/steps/new/")
    expect(page.get_by_label("Subject (English)")).to_be_visible()
    expect(page.get_by_label("Hours")).to_have_count(0)
    expect(page.get_by_role("button", name="Show the fields of this kind")).to_have_count(0)  # <noscript>
    found = {"email": violations(page)}

    page.get_by_label("Kind of step").focus()
    page.get_by_label("Kind of step").select_option("task")
    expect(page.get_by_label("Touchpoint")).to_be_visible()
    htmx_idle()
    expect(page.get_by_label("Subject (English)")).to_have_count(0)
    expect(page.locator("#step-fields")).to_have_attribute("data-kind", "task")
    assert page.evaluate("document.activeElement.id") == "id_kind"  # focus stays on the select
    page.get_by_label("Touchpoint").select_option(label=f"{journey_map.title} › Decision › {checkout.name}")
    page.get_by_label("Task title").fill("Call {{ first_name }}")
    found["task"] = violations(page)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= viewport["width"]
    page.get_by_role("button", name="Save step").click()
    page.wait_for_url(f"**/automations/{automation.pk}/")
    expect(page.locator(".au-step")).to_contain_text("Task for the owner of “Checkout”: Call {{ first_name }}")
    assert not any(found.values()), describe(found)


@pytest.mark.django_db(transaction=True)
def test_the_step_form_works_without_javascript(browser, live_server, team_a, alice, erin, shop):  # noqa: F811
    journey_map, stages, _checkout = shop
    automation = auto.automation_create(
        actor=alice,
        journey_map=journey_map,
        name="Stalled in Decision",
        trigger="stage_stalled",
        trigger_config={"stage": stages["Decision"].pk},
    )
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(erin.username)
        page.get_by_label("Password").fill("waymark-demo")
        page.get_by_role("button", name="Log in").click()
        page.goto(f"/automations/{automation.pk}/steps/new/")
        page.get_by_label("Kind of step").select_option("wait")
        page.get_by_role("button", name="Show the fields of this kind").click()
        expect(page.get_by_label("Hours")).to_be_visible()
        expect(page.get_by_label("Subject (English)")).to_have_count(0)
        page.get_by_label("Hours").fill("24")
        page.get_by_role("button", name="Save step").click()
        expect(page.locator(".au-step")).to_contain_text("Wait 24 h")
    finally:
        context.close()


@pytest.mark.django_db(transaction=True)
def test_stage_caps_on_the_contact_rules_page_on_a_phone(page, login, htmx_idle, team_a, alice, shop):  # noqa: F811
    from automations.models import StageCap

    journey_map, stages, _checkout = shop
    page.set_viewport_size(PHONE)
    login(alice)
    page.goto("/automations/contact-rules/")
    expect(page.locator("#stage-caps")).to_have_text("Caps by stage")
    found = {"empty": violations(page)}
    form = page.locator(".au-cap-form")
    form.get_by_label("Stage").select_option(label=f"{journey_map.title} — Decision")
    form.get_by_label("Messages at most").fill("2")
    form.get_by_label("In days").fill("0")
    form.get_by_role("button", name="Add the cap").click()
    htmx_idle()
    expect(page.locator("#cap_per_days-error")).to_be_visible()
    page.locator(".au-cap-form").get_by_label("In days").fill("14")
    page.locator(".au-cap-form").get_by_role("button", name="Add the cap").click()
    expect(page.locator(".au-caps table")).to_contain_text("2 in 14 days")
    cap = StageCap.objects.get()
    assert (cap.stage_id, cap.max_messages, cap.per_days) == (stages["Decision"].pk, 2, 14)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    found["listed"] = violations(page)
    assert not any(found.values()), describe(found)
