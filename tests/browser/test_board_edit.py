"""Editing in place on the map board: inline rename and emotion, dragging a stage, undo with the
keyboard, the shortcuts' dialog; on a desktop and a 390 px phone, with no serious axe finding."""

import pytest
from playwright.sync_api import expect

from journeys import services
from journeys.models import JourneyMap, Stage, Touchpoint
from tests.browser.axe import describe, violations


def _map(team, user):
    journey_map = services.map_create(
        team=team, actor=user, title="Online furniture order", stages=["Discover", "Decide", "Buy"]
    )
    for stage, names in zip(
        Stage.objects.filter(journey_map=journey_map).order_by("position"),
        (["Instagram ad", "Product page"], ["Cart and delivery options"], ["Checkout"]),
        strict=True,
    ):
        for name in names:
            services.touchpoint_create(stage=stage, actor=None, revision=None, name=name, emotion_label="curious")
    return journey_map


def _stage_names(journey_map):
    return list(Stage.objects.filter(journey_map=journey_map).order_by("position").values_list("name", flat=True))


def _ready(page, htmx_idle):
    htmx_idle()
    page.wait_for_function("() => (document.querySelector('.wm-board') || {})._stageSortable")


def _no_axe_findings(page, where):
    found = violations(page)
    assert not found, describe({where: found})


@pytest.mark.django_db(transaction=True)
def test_rename_change_emotion_drag_a_stage_and_undo_on_desktop(page, login, erin, team_a, htmx_idle, screenshot):
    journey_map = _map(team_a, erin)
    login(erin)
    page.goto(f"/maps/{journey_map.pk}/")
    _ready(page, htmx_idle)

    # Rename a touchpoint in place: focus its card, F2, type, Enter.
    page.get_by_role("button", name="Product page: open details and edit").focus()
    page.keyboard.press("F2")
    field = page.get_by_role("textbox", name="New name of the touchpoint Product page")
    field.fill("Product page with delivery date")
    field.press("Enter")
    expect(page.get_by_role("button", name="Product page with delivery date: open details and edit")).to_be_visible()
    assert Touchpoint.objects.filter(stage__journey_map=journey_map, name="Product page with delivery date").exists()

    # Rename a stage by double-clicking its name.
    htmx_idle()
    page.get_by_role("heading", name="Decide", exact=True).dblclick()
    field = page.get_by_role("textbox", name="New name of the stage Decide")
    field.fill("Decision")
    field.press("Enter")
    expect(page.get_by_role("heading", name="Decision", exact=True)).to_be_visible()
    assert _stage_names(journey_map) == ["Discover", "Decision", "Buy"]

    # Change an emotion: click it, pick another.
    htmx_idle()
    page.get_by_role("button", name="Emotion of Checkout: Curious +1. Change it").click()
    page.get_by_role("combobox", name="Emotion at Checkout").select_option("delighted")
    expect(page.get_by_role("button", name="Emotion of Checkout: Delighted +2. Change it")).to_be_visible()
    assert Touchpoint.objects.get(name="Checkout").emotion == 2

    # The shortcuts' dialog opens with "?", and the page has no serious accessibility finding.
    htmx_idle()
    page.locator("body").press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Undo your last change to this map")
    _no_axe_findings(page, "shortcuts dialog")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # Drag the first stage by its header onto the last one.
    _ready(page, htmx_idle)
    source = page.locator(".wm-stage[data-move-url]").first.locator(".wm-stage-title")
    target = page.locator(".wm-stage[data-move-url]").nth(2).locator(".wm-stage-head")
    source.drag_to(target)
    # The column moves at once; the toast says the server saved it.
    expect(page.locator("#wm-toasts")).to_contain_text("Moved “Discover”.")
    expect(page.locator(".wm-stage[data-move-url] h2").last).to_have_text("Discover")
    assert _stage_names(journey_map) == ["Decision", "Buy", "Discover"]
    # The picture: a touchpoint being renamed in place (its editor open), after the stage moved.
    htmx_idle()
    page.get_by_role("button", name="Checkout: open details and edit").focus()
    page.keyboard.press("F2")
    expect(page.get_by_role("textbox", name="New name of the touchpoint Checkout")).to_be_focused()
    screenshot(page, "map-board-editing")
    _no_axe_findings(page, "map page, editing in place")
    page.keyboard.press("Escape")
    expect(page.get_by_role("textbox", name="New name of the touchpoint Checkout")).to_have_count(0)

    # Undo with the keyboard: the stages go back, then the emotion.
    page.locator("body").press("Control+z")
    expect(page.locator("#wm-toasts")).to_contain_text("Undone: the stages are back in their order.")
    expect(page.locator(".wm-stage[data-move-url] h2").first).to_have_text("Discover")
    assert _stage_names(journey_map) == ["Discover", "Decision", "Buy"]
    htmx_idle()
    page.locator("body").press("Control+z")
    expect(page.get_by_role("button", name="Emotion of Checkout: Curious +1. Change it")).to_be_visible()
    assert Touchpoint.objects.get(name="Checkout").emotion_label == "curious"


@pytest.mark.django_db(transaction=True)
def test_a_stale_inline_rename_keeps_what_was_typed(page, login, erin, alice, team_a, htmx_idle):
    journey_map = _map(team_a, erin)
    login(erin)
    page.goto(f"/maps/{journey_map.pk}/")
    _ready(page, htmx_idle)
    # Someone else renames the same touchpoint after the page was loaded.
    tp = Touchpoint.objects.get(name="Checkout")
    services.touchpoint_update(touchpoint=tp, actor=alice, revision=None, name="Checkout (Alice)")

    page.get_by_role("button", name="Checkout: open details and edit").focus()
    page.keyboard.press("r")
    page.get_by_role("textbox", name="New name of the touchpoint Checkout").fill("Checkout (Erin)")
    page.keyboard.press("Enter")

    # The board shows Alice's name; the editor is open again with Erin's text and says why.
    field = page.get_by_role("textbox", name="New name of the touchpoint Checkout (Alice)")
    expect(field).to_have_value("Checkout (Erin)")
    expect(page.locator(".wm-inline-note")).to_contain_text("Someone else changed this map")
    assert Touchpoint.objects.get(pk=tp.pk).name == "Checkout (Alice)"
    field.press("Enter")
    expect(page.get_by_role("button", name="Checkout (Erin): open details and edit")).to_be_visible()
    assert Touchpoint.objects.get(pk=tp.pk).name == "Checkout (Erin)"


@pytest.mark.django_db(transaction=True)
def test_rename_and_undo_on_a_phone(page, login, erin, team_a, htmx_idle, screenshot):
    journey_map = _map(team_a, erin)
    page.set_viewport_size({"width": 390, "height": 844})
    login(erin)
    page.goto(f"/maps/{journey_map.pk}/")
    _ready(page, htmx_idle)
    page.get_by_role("button", name="Rename stage Discover here").click()
    field = page.get_by_role("textbox", name="New name of the stage Discover")
    field.fill("Inspiration")
    field.press("Enter")
    expect(page.get_by_role("heading", name="Inspiration", exact=True)).to_be_visible()
    assert _stage_names(journey_map)[0] == "Inspiration"
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways at 390 px ({width} px wide)"
    _no_axe_findings(page, "map page at 390 px")

    htmx_idle()
    page.get_by_role("button", name="Undo", exact=True).click()
    expect(page.get_by_role("heading", name="Discover", exact=True)).to_be_visible()
    assert _stage_names(journey_map)[0] == "Discover"
    page.get_by_role("button", name="Keyboard shortcuts").click()
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    _no_axe_findings(page, "shortcuts dialog at 390 px")
    assert JourneyMap.objects.get(pk=journey_map.pk).changes.filter(undone_at__isnull=False).count() == 1
