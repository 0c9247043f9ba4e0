"""The builder's step form holds only the chosen kind's inputs: the page for the kind asked, an
HTMX swap of those inputs when the kind select changes, and a button that does it without JS."""

import pytest

from automations import services as auto
from automations.models import Step

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def draft(shop, alice):
    journey_map, stages, _checkout = shop
    return auto.automation_create(
        actor=alice,
        journey_map=journey_map,
        name="Stalled",
        trigger="stage_stalled",
        trigger_config={"stage": stages["Decision"].pk},
    )


def test_the_page_shows_only_the_inputs_of_the_kind_asked_for(client_as, draft, erin):
    html = client_as(erin).get(f"/automations/{draft.pk}/steps/new/?kind=wait").content.decode()
    assert 'name="hours"' in html
    assert 'name="subject_en"' not in html and 'name="touchpoint"' not in html and 'name="title"' not in html
    email = client_as(erin).get(f"/automations/{draft.pk}/steps/new/").content.decode()
    assert 'name="subject_en"' in email and 'name="body_bg"' in email
    assert 'name="hours"' not in email


def test_changing_the_kind_over_htmx_swaps_in_only_its_inputs(client_as, draft, erin, django_assert_max_num_queries):
    client = client_as(erin)
    with django_assert_max_num_queries(12):
        response = client.get(f"/automations/{draft.pk}/steps/new/?kind=task", **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="step-fields"')
    assert "<html" not in html
    assert 'name="touchpoint"' in html and 'name="title"' in html
    assert "Checkout" in html  # the map's touchpoints to choose from
    assert 'name="hours"' not in html and 'name="kind"' not in html


def test_the_kind_select_asks_for_the_swap_keeping_the_branch_side(client_as, draft, alice, erin):
    branch = auto.step_add(automation=draft, actor=alice, kind="branch", config={"condition": {"kind": "consent"}})
    html = client_as(erin).get(f"/automations/{draft.pk}/steps/new/?parent={branch.pk}&side=no").content.decode()
    assert f'hx-get="/automations/{draft.pk}/steps/new/?parent={branch.pk}&amp;side=no"' in html
    assert 'hx-include="#id_kind"' in html


def test_without_javascript_the_button_shows_the_chosen_kinds_inputs_and_saves_nothing(client_as, draft, erin):
    response = client_as(erin).post(
        f"/automations/{draft.pk}/steps/new/", {"kind": "trait", "show_fields": "1", "subject_en": "x"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="key"' in html and 'name="value"' in html and 'name="subject_en"' not in html
    assert '<option value="trait" selected>' in html
    assert not Step.objects.exists()


def test_a_step_is_saved_from_its_kinds_inputs_and_other_inputs_are_ignored(client_as, draft, erin):
    response = client_as(erin).post(
        f"/automations/{draft.pk}/steps/new/", {"kind": "wait", "hours": "36", "subject_en": "ignored"}
    )
    assert response.status_code == 302
    assert Step.objects.get().config == {"hours": 36.0}


def test_a_settings_error_shows_next_to_the_kinds_first_input(client_as, draft, erin):
    response = client_as(erin).post(f"/automations/{draft.pk}/steps/new/", {"kind": "wait"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "has-error" in html.split('name="hours"')[0].rsplit('<div class="wm-field', 1)[1]
    assert not Step.objects.exists()


def test_editing_keeps_the_kind_and_shows_only_its_inputs(client_as, draft, alice, erin, shop):
    _map, _stages, checkout = shop
    config = {"touchpoint": checkout.pk, "title": "Call"}
    step = auto.step_add(automation=draft, actor=alice, kind="task", config=config)
    client = client_as(erin)
    html = client.get(f"/automations/steps/{step.pk}/edit/").content.decode()
    assert 'name="title"' in html and 'value="Call"' in html
    assert 'name="kind"' not in html and 'name="hours"' not in html
    saved = client.post(
        f"/automations/steps/{step.pk}/edit/", {"kind": "wait", "touchpoint": checkout.pk, "title": "Call back"}
    )
    assert saved.status_code == 302
    step.refresh_from_db()
    assert (step.kind, step.config["title"]) == ("task", "Call back")


def test_a_viewer_cannot_use_the_no_javascript_button(client_as, draft, victor):
    response = client_as(victor).post(f"/automations/{draft.pk}/steps/new/", {"kind": "wait", "show_fields": "1"})
    assert response.status_code == 403
