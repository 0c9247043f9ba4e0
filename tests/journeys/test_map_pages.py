"""The map pages: the board, panel edits with conflicts, moves, versions, compare and the list."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import format_html

from journeys import services
from journeys.extensions import register_map_annotator
from journeys.models import JourneyMap, MapVersion, Stage, Touchpoint

pytestmark = pytest.mark.usefixtures("isolated_registry")

HX = {"HTTP_HX_REQUEST": "true"}


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_map_page_runs_the_same_queries_for_a_small_and_a_12x15_map(client_as, erin, make_map):
    client = client_as(erin)
    small = make_map(title="Small", stages=2, per_stage=1)
    large = make_map(title="Large", stages=12, per_stage=15, pains=2)
    _count_queries(client, reverse("journeys:map_detail", args=[small.pk]))  # warm the per-user caches
    assert _count_queries(client, reverse("journeys:map_detail", args=[small.pk])) == _count_queries(
        client, reverse("journeys:map_detail", args=[large.pk])
    )


def test_map_list_queries_do_not_grow_with_the_number_of_maps(client_as, erin, make_map, django_assert_max_num_queries):
    client = client_as(erin)
    make_map(title="One")
    _count_queries(client, reverse("journeys:map_list"))
    few = _count_queries(client, reverse("journeys:map_list"))
    for i in range(5):
        make_map(title=f"More {i}")
    assert _count_queries(client, reverse("journeys:map_list")) == few


def test_map_page_shows_columns_emotions_pains_and_annotator_parts(client_as, erin, make_map):
    def annotate(journey_map, stages, touchpoints):
        for t in touchpoints:
            t.probe = f"probe-{t.pk}"
        for s in stages:
            s.probe = f"stage-probe-{s.pk}"

    register_map_annotator(
        annotate,
        touchpoint_html=lambda t: format_html('<span class="probe">{}</span>', t.probe),
        stage_html=lambda s: format_html('<span class="probe">{}</span>', s.probe),
    )
    journey_map = make_map(stages=2, per_stage=1)
    response = client_as(erin).get(reverse("journeys:map_detail", args=[journey_map.pk]))
    html = response.content.decode()
    tp = Touchpoint.objects.filter(stage__journey_map=journey_map).first()
    assert f'<span class="probe">probe-{tp.pk}</span>' in html
    assert f'<span class="probe">stage-probe-{tp.stage_id}</span>' in html
    assert "Stage 1" in html and "Curious" in html and "S2" in html
    assert 'id="emotion-data"' in html


def test_filters_by_channel_and_moments(client_as, erin, make_map):
    journey_map = make_map(stages=1, per_stage=2)
    first, second = Touchpoint.objects.filter(stage__journey_map=journey_map).order_by("position")
    services.touchpoint_update(
        touchpoint=first, actor=erin, revision=None, channel="email", is_moment=True, moment_kind="first_value"
    )
    url = reverse("journeys:map_detail", args=[journey_map.pk])
    html = client_as(erin).get(url + "?channel=email").content.decode()
    assert first.name in html and second.name not in html
    html = client_as(erin).get(url + "?moments=1&layout=funnel").content.decode()
    assert first.name in html and second.name not in html and "Funnel view" in html


def test_viewer_sees_no_editing_controls(client_as, victor, make_map):
    html = client_as(victor).get(reverse("journeys:map_detail", args=[make_map().pk])).content.decode()
    assert "+ Add touchpoint" not in html and ">Publish<" not in html


def test_two_people_editing_the_same_touchpoint_never_overwrite_each_other(client_as, erin, alice, make_map, client):
    journey_map = make_map(stages=1, per_stage=1)
    tp = Touchpoint.objects.get(stage__journey_map=journey_map)
    url = reverse("journeys:touchpoint_edit", args=[journey_map.pk, tp.pk])
    form = {
        "revision": journey_map.revision,
        "channel": "page",
        "emotion_label": "anxious",
        "evidence_source": "interview",
    }

    client.force_login(alice)
    assert client.post(url, {**form, "name": "Delivery times"}, **HX).status_code == 200
    client.force_login(erin)
    response = client.post(url, {**form, "name": "Returns policy"}, **HX)

    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else changed this map" in html
    assert "Delivery times" in html  # their change is shown
    assert 'value="Returns policy"' in html  # my input is kept
    assert f'name="revision" value="{journey_map.revision + 1}"' in html  # saving again is deliberate
    tp.refresh_from_db()
    assert tp.name == "Delivery times"


def test_invalid_touchpoint_form_shows_the_error_next_to_the_field(client_as, erin, make_map):
    journey_map = make_map(stages=1, per_stage=0)
    stage = Stage.objects.get(journey_map=journey_map)
    url = reverse("journeys:touchpoint_add", args=[journey_map.pk, stage.pk])
    response = client_as(erin).post(
        url,
        {
            "revision": journey_map.revision,
            "name": "",
            "channel": "page",
            "emotion_label": "neutral",
            "evidence_source": "assumption",
            "is_moment": "on",
        },
        **HX,
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_name-error"' in html and 'id="id_moment_kind-error"' in html
    assert not Touchpoint.objects.filter(stage=stage).exists()


def test_saved_edit_returns_the_fresh_workspace_out_of_band(client_as, erin, make_map):
    journey_map = make_map(stages=1, per_stage=0)
    stage = Stage.objects.get(journey_map=journey_map)
    response = client_as(erin).post(
        reverse("journeys:touchpoint_add", args=[journey_map.pk, stage.pk]),
        {
            "revision": journey_map.revision,
            "name": "Delivery options",
            "channel": "page",
            "emotion_label": "anxious",
            "evidence_source": "analytics",
        },
        **HX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'hx-swap-oob="outerHTML"' in html and "Delivery options" in html
    assert f'data-revision="{journey_map.revision + 1}"' in html
    assert Touchpoint.objects.get(stage=stage).emotion == -1


def test_keyboard_and_drag_moves(client_as, erin, make_map):
    journey_map = make_map(stages=2, per_stage=2)
    stages = list(Stage.objects.filter(journey_map=journey_map).order_by("position"))
    first, second = Touchpoint.objects.filter(stage=stages[0]).order_by("position")
    client = client_as(erin)
    url = reverse("journeys:touchpoint_move", args=[journey_map.pk, second.pk])
    assert client.post(url, {"direction": "up", "revision": journey_map.revision}, **HX).status_code == 200
    assert list(Touchpoint.objects.filter(stage=stages[0]).order_by("position")) == [second, first]
    drag = {"stage": stages[1].pk, "position": 1, "revision": journey_map.revision + 1}
    assert client.post(url, drag, **HX).status_code == 200
    assert list(Touchpoint.objects.filter(stage=stages[1]).order_by("position"))[1] == second
    stale = client.post(url, {"direction": "up", "revision": journey_map.revision}, **HX)
    assert stale.status_code == 409


def test_publish_compare_and_restore_in_the_ui(client_as, erin, make_map):
    journey_map = make_map(stages=2, per_stage=1)
    client = client_as(erin)
    client.post(
        reverse("journeys:map_publish", args=[journey_map.pk]), {"revision": journey_map.revision, "note": "v1"}
    )
    tp = Touchpoint.objects.filter(stage__journey_map=journey_map).first()
    services.touchpoint_update(touchpoint=tp, actor=erin, revision=None, name="Shipping costs up front")
    journey_map.refresh_from_db()
    client.post(
        reverse("journeys:map_publish", args=[journey_map.pk]), {"revision": journey_map.revision, "note": "v2"}
    )
    assert list(MapVersion.objects.filter(journey_map=journey_map).values_list("number", flat=True)) == [2, 1]

    html = client.get(reverse("journeys:map_compare", args=[journey_map.pk]) + "?from=1&to=2").content.decode()
    assert "1 changed" in html and "Shipping costs up front" in html and "Changed: name" in html

    journey_map.refresh_from_db()  # publishing raised the revision
    response = client.post(
        reverse("journeys:version_restore", args=[journey_map.pk, 1]), {"revision": journey_map.revision}
    )
    assert response.status_code == 302
    tp.refresh_from_db()
    assert tp.name == "Stage 1 touchpoint 1"


def test_publish_ui_says_there_is_nothing_to_publish(client_as, erin, make_map):
    journey_map = make_map(stages=2, per_stage=1)
    client = client_as(erin)
    url = reverse("journeys:map_publish", args=[journey_map.pk])
    assert "Nothing to publish" not in client.get(url, **HX).content.decode()
    client.post(url, {"revision": journey_map.revision, "note": "v1"})
    journey_map.refresh_from_db()
    panel = client.get(url, **HX).content.decode()
    assert "Nothing to publish" in panel and "disabled" in panel
    versions = client.get(reverse("journeys:version_list", args=[journey_map.pk])).content.decode()
    assert "Nothing to publish" in versions and "Publish version 2" not in versions
    refused = client.post(url, {"revision": journey_map.revision, "note": "again"}, **HX)
    assert refused.status_code == 400
    assert "Nothing to publish: the draft is the same as version 1." in refused.content.decode()
    assert MapVersion.objects.filter(journey_map=journey_map).count() == 1


def test_map_list_filters_by_health_and_search(client_as, erin, make_map):
    healthy = make_map(title="Loan application", stages=1, per_stage=0)
    services.touchpoint_create(
        stage=Stage.objects.get(journey_map=healthy),
        actor=erin,
        revision=None,
        name="Rates",
        evidence_source="analytics",
        evidence_verified_at=datetime.date.today(),
    )
    risky = make_map(title="Shop checkout", stages=1, per_stage=3)
    for tp in Touchpoint.objects.filter(stage__journey_map=risky):
        services.touchpoint_update(touchpoint=tp, actor=erin, revision=None, is_moment=True, moment_kind="loss_risk")
    client = client_as(erin)
    html = client.get(reverse("journeys:map_list") + "?health=healthy").content.decode()
    assert "Loan application" in html and "Shop checkout" not in html
    html = client.get(reverse("journeys:map_list") + "?health=attention").content.decode()
    assert "Shop checkout" in html and "Loan application" not in html
    html = client.get(reverse("journeys:map_list") + "?q=loan").content.decode()
    assert "Loan application" in html and "Shop checkout" not in html


def test_map_list_empty_state_says_what_to_do(client_as, erin):
    html = client_as(erin).get(reverse("journeys:map_list")).content.decode()
    assert "Create your first map" in html


def test_create_and_import_pages(client_as, erin, team_a, make_map):
    client = client_as(erin)
    client.get("/")
    response = client.post(reverse("journeys:map_create"), {"title": "Travel booking"})
    assert response.status_code == 302
    created = JourneyMap.objects.get(title="Travel booking")
    assert created.team == team_a and Stage.objects.filter(journey_map=created).count() == 6

    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("map.json", b"{not json", content_type="application/json")
    response = client.post(reverse("journeys:map_import"), {"file": bad})
    assert response.status_code == 400 and "not a JSON file" in response.content.decode()
    good = client.get(reverse("journeys:map_export", args=[created.pk])).content
    response = client.post(
        reverse("journeys:map_import"), {"file": SimpleUploadedFile("m.json", good), "title": "Copy"}
    )
    assert response.status_code == 302
    assert Stage.objects.filter(journey_map__title="Copy").count() == 6


def test_touchpoint_history_shows_who_changed_what(client_as, erin, make_map):
    journey_map = make_map(stages=1, per_stage=1)
    tp = Touchpoint.objects.get(stage__journey_map=journey_map)
    services.touchpoint_update(touchpoint=tp, actor=erin, revision=None, name="Returns page")
    html = client_as(erin).get(reverse("journeys:touchpoint_history", args=[journey_map.pk, tp.pk])).content.decode()
    assert "erin" in html and "Returns page" in html and "changed" in html
