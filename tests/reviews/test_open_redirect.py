"""A ``next`` parameter only ever redirects within the site."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize(
    "evil",
    ["https://evil.example/", "//evil.example/", "/\\evil.example/", "http:evil.example", " //evil.example/"],
)
def test_action_item_toggle_refuses_an_outside_next(client_as, erin, shop_map, record, evil):
    item = record(shop_map, items=[{"title": "Call the courier"}]).action_items.get()
    response = client_as(erin).post(reverse("reviews:action_item_toggle", args=[item.pk]), {"done": "1", "next": evil})
    assert response.status_code == 302
    assert response["Location"] == reverse("reviews:action_items")
    item.refresh_from_db()
    assert item.done


def test_action_item_toggle_follows_a_local_next(client_as, erin, shop_map, record):
    item = record(shop_map, items=[{"title": "Call the courier"}]).action_items.get()
    local = reverse("reviews:map_review", args=[shop_map.pk]) + "?tab=actions"
    response = client_as(erin).post(reverse("reviews:action_item_toggle", args=[item.pk]), {"next": local})
    assert response.status_code == 302
    assert response["Location"] == local


@pytest.mark.parametrize("evil", ["https://evil.example/", "//evil.example/"])
def test_team_switch_refuses_an_outside_next(client_as, erin, team_a, evil):
    response = client_as(erin).post(reverse("teams:switch"), {"team": team_a.pk, "next": evil})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
