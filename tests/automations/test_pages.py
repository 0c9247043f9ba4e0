"""The automation pages: list, detail with the builder and counts, forms, preview, tasks, the log."""

import pytest

from automations import engine, outbox
from automations import services as auto
from automations.models import Automation, OwnerTask, Step

from .conftest import identify, track

pytestmark = pytest.mark.django_db


def test_list_and_detail_show_the_automation_its_steps_and_counts(
    client_as, ingest, decision_email, erin, no_holdout, all_day, django_assert_max_num_queries
):
    ingest(identify("ana", email="ana@example.com"))
    ingest(track("ana", "Checkout Started", "a"))
    client = client_as(erin)
    listing = client.get("/automations/")
    assert listing.status_code == 200
    assert "Returns policy at Decision" in listing.content.decode()
    with django_assert_max_num_queries(30):
        detail = client.get(f"/automations/{decision_email.pk}/")
    html = detail.content.decode()
    assert detail.status_code == 200
    assert "When a customer enters “Decision”" in html
    assert "1 passed" in html
    assert "Email “Our returns policy, {{ first_name }}”" in html


def test_build_an_automation_through_the_forms(client_as, shop, erin):
    journey_map, stages, _checkout = shop
    client = client_as(erin)
    response = client.post(
        "/automations/new/",
        {
            "journey_map": journey_map.pk,
            "name": "Stalled",
            "trigger": "stage_stalled",
            "stage": stages["Decision"].pk,
            "holdout_percent": 10,
            "reentry": "after_exit",
            "exit_next_stage": "on",
            "goal": "next_stage",
            "goal_window_days": 30,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    automation = Automation.objects.get()
    assert automation.trigger_config == {"stage": stages["Decision"].pk}
    added = client.post(
        f"/automations/{automation.pk}/steps/new/",
        {"kind": "email", "subject_en": "Returns", "body_en": "30 days", "subject_lv": "Atgriešana"},
    )
    assert added.status_code == 302
    step = Step.objects.get()
    assert set(step.config["templates"]) == {"en", "lv"}
    bad = client.post(f"/automations/{automation.pk}/steps/new/", {"kind": "wait"})
    assert bad.status_code == 400
    assert Step.objects.count() == 1
    preview = client.get(f"/automations/steps/{step.pk}/preview/?locale=lv")
    assert "Atgriešana" in preview.content.decode()
    assert client.post(f"/automations/{automation.pk}/activate/").status_code == 302
    automation.refresh_from_db()
    assert automation.status == "active"


def test_a_viewer_sees_but_cannot_write(client_as, decision_email, victor):
    client = client_as(victor)
    assert client.get(f"/automations/{decision_email.pk}/").status_code == 200
    assert client.post(f"/automations/{decision_email.pk}/pause/").status_code == 403
    assert client.post(f"/automations/{decision_email.pk}/steps/new/", {"kind": "wait", "hours": 1}).status_code == 403


def test_the_owner_sees_and_closes_their_task(client_as, ingest, shop, alice, erin, no_holdout, all_day):
    journey_map, stages, checkout = shop
    automation = auto.automation_create(
        actor=alice,
        journey_map=journey_map,
        name="Call",
        trigger="stage_entered",
        trigger_config={"stage": stages["Decision"].pk},
    )
    auto.step_add(
        automation=automation, actor=alice, kind="task", config={"touchpoint": checkout.pk, "title": "Call them"}
    )
    auto.automation_activate(automation=automation, actor=alice)
    ingest(track("dee", "Checkout Started", "d"))
    engine.advance()
    outbox.actions_send()
    task = OwnerTask.objects.get()
    client = client_as(erin)
    assert "Call them" in client.get("/automations/tasks/").content.decode()
    assert client.post(f"/automations/tasks/{task.pk}/close/").status_code == 302
    task.refresh_from_db()
    assert task.status == "done"


def test_the_experiment_log_shows_automations_with_their_result(client_as, decision_email, erin):
    html = client_as(erin).get("/experiments/").content.decode()
    assert "Automations against their holdout" in html
    assert "Returns policy at Decision" in html


def test_each_action_is_on_the_customers_timeline(client_as, ingest, decision_email, erin, no_holdout, all_day):
    from customers.models import Profile

    ingest(identify("ana", email="ana@example.com"))
    ingest(track("ana", "Checkout Started", "a"))
    profile = Profile.objects.get(user_id="ana")
    html = client_as(erin).get(f"/customers/profiles/{profile.pk}/").content.decode()
    assert "Returns policy at Decision: Send an email (Done)" in html
