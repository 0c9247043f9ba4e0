"""Presentation mode of the map page (?present=1): the read-only board for a shared screen."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.usefixtures("isolated_registry")


def _present(client, journey_map, **params):
    query = "&".join(f"{k}={v}" for k, v in {"present": "1", **params}.items())
    return client.get(f"{reverse('journeys:map_detail', args=[journey_map.pk])}?{query}")


@pytest.mark.parametrize("who", ["victor", "erin"])
def test_presentation_shows_the_board_without_navigation_or_editing(client_as, make_map, who, request):
    journey_map = make_map(title="Weekly review map", stages=3, per_stage=2)
    response = _present(client_as(request.getfixturevalue(who)), journey_map)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Weekly review map</h1>" in html
    assert 'class="wm-topbar"' not in html and 'aria-label="Main"' not in html
    assert "<form" not in html
    assert "hx-post" not in html and "hx-get" not in html  # no edit, move, add or open-panel controls
    assert 'id="panel"' not in html
    assert "Stages (scrolls sideways)" not in html  # the board fits: no scroll region to tab to
    assert "Sortable.min.js" not in html
    exit_url = reverse("journeys:map_detail", args=[journey_map.pk])
    assert f'href="{exit_url}" class="secondary outline" role="button" data-exit-present>Exit presentation</a>' in html
    # Every stage column takes focus and is named, for the arrow keys.
    assert html.count('tabindex="0" aria-label="Stage Stage ') == 3
    assert html.count('class="wm-tp"') == 6
    assert 'id="emotion-curve"' in html


def test_presentation_keeps_the_filters_in_its_exit_link(client_as, victor, make_map):
    journey_map = make_map(stages=2, per_stage=1)
    response = _present(client_as(victor), journey_map, layout="funnel")
    html = response.content.decode()
    exit_url = reverse("journeys:map_detail", args=[journey_map.pk]) + "?layout=funnel"
    assert f'data-exit-url="{exit_url}"' in html
    assert 'class="wm-funnel"' in html
    assert html.count('role="group" tabindex="0" aria-label="Stage Stage ') == 2


def test_an_outsider_cannot_present_another_teams_map(client_as, oscar, make_map):
    journey_map = make_map()
    assert _present(client_as(oscar), journey_map).status_code == 404


def test_the_normal_page_has_the_present_button_and_the_editing_controls(client_as, erin, make_map):
    journey_map = make_map(stages=2, per_stage=1)
    url = reverse("journeys:map_detail", args=[journey_map.pk])
    response = client_as(erin).get(f"{url}?channel=web")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<a href="{url}?channel=web&amp;present=1" class="secondary outline" role="button">Present</a>' in html
    assert 'class="wm-topbar"' in html and 'id="panel"' in html and "hx-post" in html
    assert "data-present" not in html
