import pytest
from playwright.sync_api import expect

from teams.models import Membership, Role


@pytest.mark.django_db(transaction=True)
def test_login_and_switch_team(page, login, alice, team_a, team_b, screenshot):
    Membership.objects.create(team=team_b, user=alice, role=Role.VIEWER)
    login(alice)
    expect(page.locator("h1")).to_have_text("Team A")
    switcher = page.get_by_label("Switch team")
    expect(switcher).to_be_visible()
    switcher.select_option(label="Team B (viewer)")
    expect(page.locator("h1")).to_have_text("Team B")
    page.reload()
    expect(page.locator("h1")).to_have_text("Team B")
    screenshot(page, "home")


@pytest.mark.django_db(transaction=True)
def test_admin_invites_member_and_sees_toast(page, login, alice, team_a, oscar, screenshot):
    login(alice)
    page.goto(f"/teams/{team_a.slug}/members/")
    page.get_by_label("Username or email").fill("oscar@example.com")
    page.locator("#id_role").select_option("editor")
    page.get_by_role("button", name="Add member").click()
    expect(page.locator("#wm-toasts")).to_contain_text("oscar joined Team A as editor")
    expect(page.locator("#member-section")).to_contain_text("oscar")
    assert Membership.objects.get(team=team_a, user=oscar).role == Role.EDITOR
    screenshot(page, "members")
