import pytest
from playwright.sync_api import expect

from personas import services
from personas.models import Persona


@pytest.mark.django_db(transaction=True)
def test_editor_creates_a_persona_with_two_scenarios_and_edits_one(page, login, erin, team_a, screenshot, htmx_idle):
    login(erin)
    page.get_by_role("link", name="Personas").click()
    expect(page.get_by_role("heading", name="No personas yet")).to_be_visible()
    screenshot(page, "personas-empty")
    page.get_by_role("button", name="Create the first persona").click()

    page.get_by_label("Name").fill("Careful online shopper")
    page.get_by_label("Role or segment").fill("Urban professional, orders on mobile")
    page.get_by_label("Goals").fill("Delivery before the weekend\nFree returns")
    page.get_by_label("Obstacles").fill("Delivery date shown only at checkout")
    page.get_by_label("Quotes").fill("I won't pay until I know when it arrives.")
    screenshot(page, "persona-form")
    page.get_by_role("button", name="Create persona").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Careful online shopper")
    expect(page.locator(".wm-flash")).to_contain_text("Persona “Careful online shopper” created")

    for name, kind in (("First order on mobile", "first_time"), ("Switching from the local store", "switching")):
        page.locator("#scenario-section").get_by_role("button", name="Add scenario", exact=True).first.click()
        form = page.get_by_role("form", name="New scenario for Careful online shopper")
        form.get_by_label("Name").fill(name)
        form.get_by_label("Kind").select_option(kind)
        form.get_by_label("Goal").fill("Know the delivery date before paying")
        form.get_by_role("button", name="Add scenario").click()
        expect(page.locator("#scenario-section")).to_contain_text(name)
        expect(page.locator("#wm-toasts")).to_contain_text(f"Scenario “{name}” added")

    # A duplicate name is refused next to the field, in place.
    page.locator("#scenario-section").get_by_role("button", name="Add scenario", exact=True).first.click()
    form = page.get_by_role("form", name="New scenario for Careful online shopper")
    form.get_by_label("Name").fill("first order on MOBILE")
    form.get_by_role("button", name="Add scenario").click()
    expect(form.get_by_role("alert")).to_contain_text("already has a scenario")
    form.get_by_role("button", name="Cancel").click()
    expect(form).to_have_count(0)

    # Edit one scenario inline.
    page.get_by_role("button", name="Edit scenario First order on mobile").click()
    edit = page.get_by_role("form", name="Edit scenario First order on mobile")
    expect(edit).to_be_visible()
    htmx_idle()
    edit.get_by_label("Trigger").fill("Sees a sofa in a social media ad")
    expect(edit.get_by_label("Name")).to_have_value("First order on mobile")
    edit.get_by_role("button", name="Save scenario").click()
    expect(page.locator("#scenario-section")).to_contain_text("Sees a sofa in a social media ad")

    persona = Persona.objects.get(team=team_a, name="Careful online shopper")
    assert persona.goals == "Delivery before the weekend\nFree returns"
    assert list(persona.scenarios.order_by("name").values_list("name", "kind")) == [
        ("First order on mobile", "first_time"),
        ("Switching from the local store", "switching"),
    ]
    assert persona.scenarios.get(name="First order on mobile").trigger == "Sees a sofa in a social media ad"
    screenshot(page, "persona-detail")

    # Edit the persona itself.
    page.get_by_role("button", name="Edit persona").click()
    page.get_by_label("Summary").fill("Compares delivery times and return terms before paying.")
    page.get_by_role("button", name="Save persona").click()
    expect(page.locator(".wm-profile-summary")).to_have_text("Compares delivery times and return terms before paying.")
    assert Persona.objects.get(pk=persona.pk).revision == 2


@pytest.mark.django_db(transaction=True)
def test_list_search_filters_in_place(page, login, erin, victor, team_a, screenshot):
    for name, role, market in (
        ("Careful online shopper", "Orders on mobile", "b2c"),
        ("First-time loan applicant", "Young family", "b2c"),
        ("Procurement lead", "Buys software for a team of 40", "b2b"),
    ):
        persona = services.persona_create(team=team_a, actor=erin, name=name, role=role, market=market)
        services.scenario_create(persona=persona, actor=erin, name="Main scenario")
    login(victor)
    page.goto("/personas/")
    expect(page.locator(".wm-persona-card")).to_have_count(3)
    expect(page.get_by_role("button", name="New persona")).to_have_count(0)  # viewers read only
    screenshot(page, "personas")
    page.get_by_label("Search", exact=True).fill("family")
    expect(page.locator(".wm-persona-card")).to_have_count(1)
    expect(page.locator("#persona-results")).to_contain_text("First-time loan applicant")
    assert "search=family" in page.url
    page.get_by_label("Search", exact=True).fill("")
    page.get_by_label("Market").select_option("b2b")
    expect(page.locator(".wm-persona-card")).to_have_count(1)
    expect(page.locator("#persona-results")).to_contain_text("Procurement lead")


@pytest.mark.django_db(transaction=True)
def test_editor_sets_trait_rules_row_by_row_on_a_phone(page, login, erin, team_a, screenshot, htmx_idle):
    from tests.browser.axe import describe, violations

    persona = services.persona_create(team=team_a, actor=erin, name="Team buyer")
    page.set_viewport_size({"width": 390, "height": 844})
    login(erin)
    page.goto(persona.get_absolute_url())
    expect(page.locator("#rules-section")).to_contain_text("No trait rules")
    page.get_by_role("button", name="Edit trait rules").click()

    page.get_by_label("Trait of condition 1").fill("plan")
    page.get_by_label("Value of condition 1").fill("team")
    page.get_by_role("button", name="Add a condition").click()
    htmx_idle()
    page.get_by_label("Trait of condition 2").fill("seats")
    page.get_by_label("Operator of condition 2").select_option("gt")
    page.get_by_label("Value of condition 2").fill("ten")
    page.get_by_role("button", name="Add a condition").click()
    htmx_idle()
    page.get_by_label("Trait of condition 3").fill("temporary")
    page.get_by_role("button", name="Remove condition 3").click()
    htmx_idle()
    expect(page.get_by_label("Trait of condition 3")).to_have_count(0)
    page.get_by_label("Priority").fill("5")
    page.get_by_role("button", name="Save rules").click()
    # A number was expected: the error is next to the field, nothing saved.
    expect(page.locator("#rules-form")).to_contain_text("Give a number, e.g. 10.")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    found = violations(page)
    assert not found, describe({"rules form": found})
    screenshot(page, "persona-rules")
    page.get_by_label("Value of condition 2").fill("10")
    page.get_by_role("button", name="Save rules").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Team buyer")
    expect(page.locator("#rules-section")).to_contain_text("is greater than")
    found = violations(page)
    assert not found, describe({"persona page": found})
    persona.refresh_from_db()
    assert persona.trait_rules == [
        {"trait": "plan", "op": "eq", "value": "team"},
        {"trait": "seats", "op": "gt", "value": 10},
    ]
    assert persona.priority == 5
