"""Read-only share links: signed, revocable, expiring, optionally one version, every view logged."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from journeys import services
from journeys.models import MapVersion, ShareLink, ShareLinkView

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def shop(make_map):
    return make_map(title="Furniture checkout", stages=2, per_stage=1, pains=1)


def _open(client, link, **extra):
    return client.get(reverse("shared_map", args=[link.token]), **extra)


def test_a_link_shows_the_draft_to_anyone_and_logs_each_view(client, erin, shop):
    link = services.share_link_create(journey_map=shop, actor=erin, expires_in_days=7, label="Board")

    response = _open(client, link, REMOTE_ADDR="203.0.113.77", HTTP_USER_AGENT="Executive's tablet")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Furniture checkout" in html and "Stage 1 touchpoint 1" in html and "Pain 1" in html
    assert response["X-Robots-Tag"] == "noindex, nofollow" and response["Referrer-Policy"] == "no-referrer"
    assert "Team A" not in html and "/maps/" not in html  # nothing else of the team, no links into it
    view = ShareLinkView.objects.get()
    assert (view.link_id, view.ip, view.user_agent) == (link.pk, "203.0.113.0", "Executive's tablet")
    _open(client, link)
    assert ShareLinkView.objects.count() == 2
    assert client.post(reverse("shared_map", args=[link.token])).status_code == 405
    assert ShareLinkView.objects.count() == 2


def test_a_link_to_a_version_shows_that_version_not_later_edits(client, erin, shop):
    version = services.map_publish(journey_map=shop, actor=erin, note="v1")
    stage = shop.stages.order_by("position").first()
    services.touchpoint_create(stage=stage, actor=erin, revision=None, name="Added after publishing")
    link = services.share_link_create(journey_map=shop, actor=erin, version=version)

    html = _open(client, link).content.decode()
    assert "Stage 1 touchpoint 1" in html and "Added after publishing" not in html
    assert "Version 1" in html


def test_revoked_expired_forged_and_tampered_links_do_not_open(client, erin, shop):
    link = services.share_link_create(journey_map=shop, actor=erin, expires_in_days=1)
    token = link.token
    assert _open(client, link).status_code == 200

    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(reverse("shared_map", args=[forged])).status_code == 404
    assert client.get(reverse("shared_map", args=["not-a-token"])).status_code == 404

    with time_machine.travel(timezone.now() + datetime.timedelta(days=1, seconds=1)):
        response = _open(client, link)
    assert response.status_code == 404 and "expired" in response.content.decode()

    services.share_link_revoke(link=link, actor=erin)
    response = _open(client, link)
    assert response.status_code == 404 and "revoked" in response.content.decode()
    assert ShareLinkView.objects.count() == 1  # only the one valid opening

    # A new nonce: a link made again for the same map is not the old one.
    again = services.share_link_create(journey_map=shop, actor=erin)
    assert again.token != token and _open(client, again).status_code == 200


def test_bad_input_is_refused_and_viewers_cannot_share(erin, victor, shop, make_map):
    other = make_map(title="Other")
    other_version = services.map_publish(journey_map=other, actor=erin)
    with pytest.raises(ValidationError) as exc:
        services.share_link_create(journey_map=shop, actor=erin, expires_in_days=0)
    assert "expires_in_days" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.share_link_create(journey_map=shop, actor=erin, version=other_version)
    assert "version" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.share_link_create(journey_map=shop, actor=victor)
    assert not ShareLink.objects.exists()


# --- the share page ------------------------------------------------------------------------------


def test_share_page_makes_lists_and_revokes_links(client_as, erin, victor, oscar, shop, django_assert_max_num_queries):
    url = reverse("journeys:map_share", args=[shop.pk])
    client = client_as(erin)
    response = client.post(url, {"label": "Board", "expires_in_days": "7", "version": ""}, **HX)
    assert response.status_code == 200 and response["HX-Redirect"] == url
    link = ShareLink.objects.get()
    assert (link.label, link.version_id, link.journey_map_id) == ("Board", None, shop.pk)
    assert abs((link.expires_at - timezone.now()) - datetime.timedelta(days=7)) < datetime.timedelta(minutes=1)
    client.get(reverse("shared_map", args=[link.token]))

    with django_assert_max_num_queries(14):  # the same for any number of links
        page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and reverse("shared_map", args=[link.token]) in html and ">1<" in html

    assert client.post(url, {"expires_in_days": "5"}).status_code == 400  # not one of the choices
    assert client_as(victor).get(url).status_code == 200
    assert client_as(victor).post(url, {"expires_in_days": "7"}).status_code == 403
    assert client_as(oscar).get(url).status_code == 404

    revoke = reverse("journeys:share_link_revoke", args=[shop.pk, link.pk])
    assert client_as(victor).post(revoke).status_code == 403
    assert client_as(oscar).post(revoke).status_code == 404
    client = client_as(erin)  # the same test client, signed in as each person in turn
    assert client.post(revoke, **HX).status_code == 200
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert reverse("shared_map", args=[link.token]) not in client.get(url).content.decode()


# --- API ------------------------------------------------------------------------------------------


def test_api_makes_lists_and_revokes_links(api_as, client, erin, victor, oscar, shop):
    services.map_publish(journey_map=shop, actor=erin)
    api = api_as(erin)
    made = api.post(
        "/api/v1/share-links/", {"map": shop.pk, "version": 1, "expires_in_days": 7, "label": "Board"}, format="json"
    )
    assert made.status_code == 201, made.json()
    body = made.json()
    assert (body["map"], body["version"], body["active"], body["view_count"]) == (shop.pk, 1, True, 0)
    assert client.get(body["url"]).status_code == 200

    listed = api.get(f"/api/v1/share-links/?map={shop.pk}").json()["results"]
    assert [(row["id"], row["view_count"]) for row in listed] == [(body["id"], 1)]
    assert api_as(oscar).get(f"/api/v1/share-links/{body['id']}/").status_code == 404
    assert api_as(victor).post(f"/api/v1/share-links/{body['id']}/revoke/").status_code == 403

    revoked = api.post(f"/api/v1/share-links/{body['id']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["active"] is False and revoked.json()["url"] is None
    assert client.get(body["url"]).status_code == 404


def test_api_names_the_field_of_bad_input(api_as, erin, shop):
    api = api_as(erin)
    for data, field in (
        ({"map": shop.pk, "expires_in_days": 0}, "expires_in_days"),
        ({"map": shop.pk, "expires_in_days": 366}, "expires_in_days"),
        ({"map": shop.pk, "version": 9}, "version"),
        ({"map": 10**12}, "map"),
        ({}, "map"),
    ):
        response = api.post("/api/v1/share-links/", data, format="json")
        assert response.status_code == 400 and field in str(response.json()), (data, response.json())
    assert not ShareLink.objects.exists()
    assert MapVersion.objects.count() == 0
