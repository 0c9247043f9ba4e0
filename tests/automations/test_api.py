"""The automations REST API: building an automation, its live counts and result, dry run, preview."""

from datetime import timedelta

import pytest
from django.utils import timezone

from automations import engine, selectors
from automations.models import Automation, Enrolment, Step
from customers.models import Profile, ProfileStage

from .conftest import RETURNS, identify, track

pytestmark = pytest.mark.django_db


def test_build_turn_on_and_read_an_automation(api_as, shop, erin):
    journey_map, stages, checkout = shop
    client = api_as(erin)
    created = client.post(
        "/api/v1/automations/",
        {
            "journey_map": journey_map.pk,
            "name": "Stalled in Decision",
            "trigger": "stage_stalled",
            "trigger_config": {"stage": stages["Decision"].pk},
            "exit_criteria": {"next_stage": True},
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["status"], body["holdout_percent"], body["reentry"]) == ("draft", 10, "after_exit")
    pk = body["id"]
    refused = client.post(f"/api/v1/automations/{pk}/activate/")
    assert refused.status_code == 400 and "steps" in refused.json()["errors"]
    email = client.post(
        "/api/v1/automation-steps/",
        {"automation": pk, "kind": "email", "config": {"templates": RETURNS}},
        format="json",
    )
    assert email.status_code == 201, email.json()
    wait = client.post(
        "/api/v1/automation-steps/", {"automation": pk, "kind": "wait", "config": {"hours": 24}}, format="json"
    )
    branch = client.post(
        "/api/v1/automation-steps/",
        {
            "automation": pk,
            "kind": "branch",
            "config": {"condition": {"kind": "stage", "stage": stages["Decision"].pk}},
        },
        format="json",
    ).json()
    task = client.post(
        "/api/v1/automation-steps/",
        {
            "automation": pk,
            "kind": "task",
            "parent": branch["id"],
            "side": "yes",
            "config": {"touchpoint": checkout.pk},
        },
        format="json",
    )
    assert (wait.status_code, task.status_code) == (201, 201), task.json()
    on = client.post(f"/api/v1/automations/{pk}/activate/")
    assert on.status_code == 200 and on.json()["status"] == "active"
    stats = client.get(f"/api/v1/automations/{pk}/stats/").json()
    assert [(s["kind"], s["depth"], s["side"]) for s in stats["steps"]] == [
        ("email", 0, ""),
        ("wait", 0, ""),
        ("branch", 0, ""),
        ("task", 1, "yes"),
    ]
    assert stats["result"]["difference"]["computed"] is False
    preview = client.get(f"/api/v1/automation-steps/{email.json()['id']}/preview/?locale=lv").json()
    assert (preview["locale"], preview["subject"]) == ("lv", "Atgriešanas noteikumi")
    assert "Atteikties no šiem e-pastiem" in preview["body"]


def test_bad_settings_are_a_400_naming_the_field(api_as, shop, erin):
    journey_map, stages, _ = shop
    client = api_as(erin)
    for payload, field in (
        ({"trigger": "stage_entered", "trigger_config": {"stage": 10**20}}, "trigger_config"),
        ({"trigger": "nope"}, "trigger"),
        ({"trigger": "event_done", "trigger_config": {"event": ""}}, "trigger_config"),
        (
            {
                "trigger": "stage_entered",
                "trigger_config": {"stage": stages["Decision"].pk},
                "conditions": [{"kind": "x"}],
            },
            "conditions",
        ),
        (
            {"trigger": "stage_entered", "trigger_config": {"stage": stages["Decision"].pk}, "holdout_percent": 80},
            "holdout_percent",
        ),
    ):
        response = client.post(
            "/api/v1/automations/", {"journey_map": journey_map.pk, "name": "x", **payload}, format="json"
        )
        assert response.status_code == 400, (payload, response.content)
        assert field in response.json()["errors"], (payload, response.json())
    assert not Automation.objects.exists()
    assert client.get("/api/v1/automations/?ordering=nope").status_code == 400


def test_a_viewer_cannot_write_and_an_outsider_sees_nothing(api_as, decision_email, victor, oscar):
    assert api_as(victor).post(f"/api/v1/automations/{decision_email.pk}/pause/").status_code == 403
    assert api_as(oscar).get(f"/api/v1/automations/{decision_email.pk}/").status_code == 404
    assert api_as(oscar).get("/api/v1/automations/").json()["count"] == 0
    decision_email.refresh_from_db()
    assert decision_email.status == "active"


def test_dry_run_lists_who_would_enter_now(api_as, ingest, decision_email, erin, no_holdout, all_day):
    ingest(identify("ana", email="ana@example.com"), identify("bo", plan="pro"))
    ingest(track("ana", "Checkout Started", "a"), track("bo", "Product Viewed", "b"))
    body = api_as(erin).get(f"/api/v1/automations/{decision_email.pk}/dry-run/").json()
    # ana already ran through it (once per stay); the dry run counts the stage's occupants.
    assert body["count"] == 1
    assert [p["user_id"] for p in body["profiles"]] == ["ana"]
    assert ProfileStage.objects.get(profile__user_id="bo").stage.name == "Consideration"


def test_the_result_compares_enrolled_and_holdout_with_an_interval(decision_email, team_a):
    """Against a plain-Python two-proportion computation: 40 of 100 enrolled, 25 of 100 held out."""
    now = timezone.now()
    profiles = Profile.objects.bulk_create([Profile(team=team_a, user_id=f"p{i}") for i in range(200)])
    Enrolment.objects.bulk_create(
        [
            Enrolment(
                team=team_a,
                automation=decision_email,
                profile=p,
                entry_key="k",
                is_holdout=i >= 100,
                status="holdout" if i >= 100 else "completed",
                converted_at=now if (i < 40 or 100 <= i < 125) else None,
            )
            for i, p in enumerate(profiles)
        ]
    )
    result = selectors.holdout_result(decision_email)
    assert (result["enrolled"]["k"], result["enrolled"]["n"]) == (40, 100)
    assert (result["holdout"]["k"], result["holdout"]["n"]) == (25, 100)
    diff = result["difference"]
    p1, p0 = 0.40, 0.25
    se = (p1 * (1 - p1) / 100 + p0 * (1 - p0) / 100) ** 0.5
    assert diff["absolute_change"] == pytest.approx(15.0)
    assert diff["ci_low"] == pytest.approx(100 * (0.15 - 1.959964 * se), abs=1e-3)
    assert diff["ci_high"] == pytest.approx(100 * (0.15 + 1.959964 * se), abs=1e-3)
    pooled = 65 / 200
    z = 0.15 / (pooled * (1 - pooled) * (2 / 100)) ** 0.5
    assert diff["statistic"] == pytest.approx(z)


def test_stats_read_in_a_fixed_number_of_queries(api_as, decision_email, erin, alice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from automations import services

    client = api_as(erin)
    client.get(f"/api/v1/automations/{decision_email.pk}/stats/")  # the session and caches warm
    with CaptureQueriesContext(connection) as one_step:
        client.get(f"/api/v1/automations/{decision_email.pk}/stats/")
    for _ in range(5):
        services.step_add(automation=decision_email, actor=alice, kind="wait", config={"hours": 1})
    with CaptureQueriesContext(connection) as six_steps:
        response = client.get(f"/api/v1/automations/{decision_email.pk}/stats/")
    assert len(response.json()["steps"]) == 6
    assert len(six_steps) == len(one_step)


def test_from_playbook_makes_a_draft_with_an_owner_task(api_as, shop, erin, alice):
    from owners.services import playbook_create

    journey_map, _stages, checkout = shop
    playbook = playbook_create(
        actor=alice,
        journey_map=journey_map,
        name="Failed trial at step 2",
        trigger="Stops at delivery",
        touchpoint=checkout,
    )
    response = api_as(erin).post("/api/v1/automations/from-playbook/", {"playbook": playbook.pk}, format="json")
    assert response.status_code == 201, response.json()
    automation = Automation.objects.get(pk=response.json()["id"])
    assert (automation.trigger, automation.status, automation.playbook_id) == ("stage_stalled", "draft", playbook.pk)
    assert list(Step.objects.filter(automation=automation).values_list("kind", "config__touchpoint")) == [
        ("task", checkout.pk)
    ]
    assert engine.stall_threshold(automation) == timedelta(hours=24)
