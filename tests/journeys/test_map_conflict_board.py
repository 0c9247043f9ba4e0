"""A conflict in the editing panel also refreshes the board behind it (out of band)."""

import re

import pytest
from django.urls import reverse

from journeys import services
from journeys.models import JourneyMap, Stage, Touchpoint

pytestmark = pytest.mark.usefixtures("isolated_registry")

HX = {"HTTP_HX_REQUEST": "true"}


def test_stale_panel_save_answers_409_with_the_current_board_out_of_band(client_as, erin, alice, make_map):
    journey_map = make_map(stages=2, per_stage=1, pains=0)
    seen_revision = journey_map.revision
    tp = Touchpoint.objects.get(stage__journey_map=journey_map, stage__position=0)
    other_stage = Stage.objects.get(journey_map=journey_map, position=1)
    # While Erin has the panel open, Alice adds a touchpoint elsewhere on the map.
    services.touchpoint_create(stage=other_stage, actor=alice, revision=seen_revision, name="Live chat with an agent")
    current = JourneyMap.objects.get(pk=journey_map.pk).revision

    response = client_as(erin).post(
        reverse("journeys:touchpoint_edit", args=[journey_map.pk, tp.pk]),
        {
            "revision": seen_revision,
            "name": "Returns policy",
            "channel": "page",
            "emotion_label": "anxious",
            "evidence_source": "interview",
        },
        **HX,
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else changed this map" in html  # the panel, as before
    workspace = re.search(r'<div id="map-workspace"[^>]*>', html)
    assert workspace is not None
    assert 'hx-swap-oob="outerHTML"' in workspace.group(0)
    assert f'data-revision="{current}"' in workspace.group(0)
    assert "Live chat with an agent" in html[workspace.start() :]  # Alice's card is on the board
    assert Touchpoint.objects.get(pk=tp.pk).name == tp.name  # nothing of Erin's was saved


def test_invalid_panel_save_does_not_send_the_board(client_as, erin, make_map):
    journey_map = make_map(stages=1, per_stage=1, pains=0)
    tp = Touchpoint.objects.get(stage__journey_map=journey_map)
    response = client_as(erin).post(
        reverse("journeys:touchpoint_edit", args=[journey_map.pk, tp.pk]),
        {"revision": journey_map.revision, "name": "", "channel": "page", "emotion_label": "anxious"},
        **HX,
    )
    assert response.status_code == 400
    assert 'id="map-workspace"' not in response.content.decode()
