"""Owners in the browser: assign an owner and SLA from the panel, hand-offs, playbooks, My ownership."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from owners import services
from owners.models import SLA, Ownership
from tests.owners.owners_world import shop_map


@pytest.mark.django_db(transaction=True)
def test_editor_assigns_owner_and_sla_from_the_owners_panel(page, login, team_a, alice, erin, victor, screenshot):
    for user, first, last in ((alice, "Alice", "Admin"), (erin, "Erin", "Editor"), (victor, "Victor", "Viewer")):
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])
    shop = shop_map(team_a, n_touchpoints=6)
    for tp in shop.touchpoints[:3]:
        services.ownership_assign(actor=alice, touchpoint=tp, user=erin)
        services.sla_set(actor=alice, touchpoint=tp, response_target=timedelta(hours=48))
    services.ownership_assign(actor=alice, touchpoint=shop.touchpoints[0], user=victor, role="consulted")
    target = shop.touchpoints[4]

    login(erin)
    page.goto(f"/maps/{shop.journey_map.pk}/owners/")
    expect(page.locator("h1")).to_have_text("Owners & SLAs")
    screenshot(page, "owners-panel")

    page.get_by_label("Unowned only").check()
    expect(page.locator("#owner-rows")).not_to_contain_text("Touchpoint 0")
    expect(page.locator(f"#tp-{target.pk}")).to_contain_text("No owner")

    page.get_by_role("button", name=f"Edit owner and SLA of {target.name}").click()
    row = page.locator(f"#tp-{target.pk}")
    row.get_by_label("Accountable owner").select_option(label="Victor Viewer (victor)")
    row.get_by_label("SLA (hours)").fill("24")
    row.get_by_label("Count working hours only").check()
    row.get_by_role("button", name="Save").click()
    expect(page.locator(f"#tp-{target.pk}")).to_contain_text("Victor Viewer")
    expect(page.locator(f"#tp-{target.pk}")).to_contain_text("24 h · work hrs")
    expect(page.locator("#wm-toasts")).to_contain_text("Saved the owner and SLA")
    assert Ownership.objects.get(touchpoint=target, role="accountable").user == victor
    assert SLA.objects.get(touchpoint=target).response_target == timedelta(hours=24)


@pytest.mark.django_db(transaction=True)
def test_handoffs_playbooks_and_my_ownership_pages(page, login, team_a, alice, erin, screenshot):
    erin.first_name, erin.last_name = "Erin", "Editor"
    erin.save(update_fields=["first_name", "last_name"])
    shop = shop_map(team_a, n_touchpoints=4)
    for tp in shop.touchpoints:
        services.ownership_assign(actor=alice, touchpoint=tp, user=erin)
    handoff = services.handoff_create(
        actor=alice,
        from_touchpoint=shop.touchpoints[0],
        to_touchpoint=shop.touchpoints[1],
        to_owner=erin,
        response_target=timedelta(hours=24),
        notes="Warehouse confirms the delivery date to the customer.",
    )
    services.handoff_case_open(actor=alice, handoff=handoff, reference="ORDER-1001")
    services.handoff_case_open(
        actor=alice, handoff=handoff, reference="ORDER-0999", started_at=timezone.now() - timedelta(days=3)
    )
    services.handoff_cases_sweep()

    login(erin)
    page.goto(f"/maps/{shop.journey_map.pk}/handoffs/")
    expect(page.locator(".wm-handoff-list")).to_contain_text("1 breached")
    screenshot(page, "owners-handoffs")

    page.goto(f"/maps/{shop.journey_map.pk}/playbooks/")
    expect(page.locator(".wm-empty")).to_contain_text("No playbooks yet")
    page.get_by_role("button", name="New playbook").click()
    page.locator("#id_name").fill("First order late")
    page.get_by_label("Trigger").fill("The courier misses the promised delivery date of a first order.")
    page.get_by_label("Steps (Markdown)").fill(
        "1. **Within 2 h**: email the new date and the reason.\n2. Offer free return shipping.\n3. Add a voucher."
    )
    page.get_by_label("Owner", exact=True).select_option(label="Erin Editor (erin)")
    page.get_by_role("button", name="Create playbook").click()
    expect(page.locator("h1")).to_have_text("First order late")
    expect(page.locator(".wm-prose strong")).to_have_text("Within 2 h")
    screenshot(page, "owners-playbook")

    page.goto("/maps/my-ownership/")
    expect(page.locator("h1")).to_have_text("My ownership")
    expect(page.locator("main")).to_contain_text("ORDER-0999")
    screenshot(page, "my-ownership")
