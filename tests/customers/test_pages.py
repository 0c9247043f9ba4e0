"""Customer pages: sources (key shown once), profile search, the profile page, and the map overlay."""

import pytest
from django.urls import reverse
from django.utils import timezone

from customers import services
from customers.models import Profile, Source
from customers.stages import events_match
from journeys.models import JourneyMap, Stage, Touchpoint


@pytest.fixture
def shop(team_a, alice, source):
    journey_map = JourneyMap.objects.create(team=team_a, title="Shop")
    decision = Stage.objects.create(journey_map=journey_map, name="Decision", position=0)
    checkout = Touchpoint.objects.create(stage=decision, name="Checkout")
    Touchpoint.objects.create(stage=decision, name="Returns policy page")
    services.tracking_rule_create(actor=alice, stage=decision, touchpoint=checkout, event_name="Checkout Started")
    result = services.events_ingest(
        source=source,
        items=[
            {"type": "identify", "userId": "ana", "anonymousId": "a-ana", "traits": {"plan": "team"}},
            {"type": "track", "event": "Checkout Started", "userId": "ana"},
            {"type": "track", "event": "Checkout Started", "anonymousId": "a-bob"},
        ],
        received_at=timezone.now(),
    )
    events_match(event_ids=result.event_ids)
    return journey_map


def test_admin_creates_a_source_and_sees_the_key_once(client_as, alice, team_a):
    client = client_as(alice)
    response = client.post(reverse("customers:source_list"), {"name": "Shop site", "kind": "web"})
    assert response.status_code == 200
    source = Source.objects.get(name="Shop site")
    html = response.content.decode()
    start = html.index('id="new-write-key"')
    key = html[start:].split(">", 1)[1].split("<", 1)[0]
    assert Source.hash(key) == source.hashed_key
    assert "analytics.host" in html
    again = client.get(reverse("customers:source_list")).content.decode()
    assert key not in again
    assert f"wk{source.prefix}" in again


def test_invalid_source_form_is_400_with_the_error(client_as, alice):
    response = client_as(alice).post(reverse("customers:source_list"), {"name": "", "kind": "web"})
    assert response.status_code == 400
    assert not Source.objects.exists()


def test_editor_cannot_create_or_revoke_sources(client_as, erin, source):
    client = client_as(erin)
    assert client.post(reverse("customers:source_list"), {"name": "X", "kind": "web"}).status_code == 403
    assert client.post(reverse("customers:source_revoke", args=[source.pk])).status_code == 403
    source.refresh_from_db()
    assert source.revoked_at is None


def test_admin_revokes_a_source(client_as, alice, source):
    response = client_as(alice).post(reverse("customers:source_revoke", args=[source.pk]))
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.revoked_at is not None


def test_profile_search_by_id_and_trait(client_as, victor, shop):
    client = client_as(victor)
    html = client.get(reverse("customers:profile_list"), {"q": "a-ana"}).content.decode()
    assert "ana" in html and "a-bob" not in html
    html = client.get(reverse("customers:profile_list"), {"trait": "plan:free"}).content.decode()
    assert "No profiles match" in html
    stage = Stage.objects.get(name="Decision")
    response = client.get(reverse("customers:profile_list"), {"stage": stage.pk})
    assert response.status_code == 200
    assert response.content.decode().count('href="/customers/profiles/') == 2
    assert client.get(reverse("customers:profile_list"), {"stage": "x"}).status_code == 200


def test_profile_page_shows_stage_traits_identities_and_timeline(client_as, victor, shop):
    profile = Profile.objects.get(user_id="ana")
    html = client_as(victor).get(reverse("customers:profile_detail", args=[profile.pk])).content.decode()
    assert "Shop: <strong>Decision</strong>" in html
    assert "a-ana" in html and "plan" in html
    assert "Checkout Started" in html


def test_merged_profile_redirects_to_the_one_it_joined(client_as, victor, source):
    services.events_ingest(
        source=source,
        items=[{"type": "track", "event": "E", "anonymousId": "a-cy"}, {"type": "identify", "userId": "cy"}],
        received_at=timezone.now(),
    )
    services.events_ingest(
        source=source, items=[{"type": "identify", "userId": "cy", "anonymousId": "a-cy"}], received_at=timezone.now()
    )
    gone = Profile.objects.get(merged_into__isnull=False)
    response = client_as(victor).get(reverse("customers:profile_detail", args=[gone.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:profile_detail", args=[gone.merged_into_id])


def test_outsider_gets_404_for_a_profile(client_as, oscar, shop):
    profile = Profile.objects.get(user_id="ana")
    assert client_as(oscar).get(reverse("customers:profile_detail", args=[profile.pk])).status_code == 404


def test_map_page_shows_who_is_here_and_what_is_not_instrumented(client_as, victor, shop):
    html = client_as(victor).get(reverse("journeys:map_detail", args=[shop.pk])).content.decode()
    assert "2 customers here now" in html
    assert "Not instrumented: no tracking rule" in html  # the returns page has no rule
    assert "2 events · 2 customers" in html  # customers.overlay, tested in detail in test_overlay.py


def test_map_without_rules_shows_nothing_new(client_as, victor, team_a):
    journey_map = JourneyMap.objects.create(team=team_a, title="Plain")
    Touchpoint.objects.create(stage=Stage.objects.create(journey_map=journey_map, name="Awareness"), name="Ad")
    html = client_as(victor).get(reverse("journeys:map_detail", args=[journey_map.pk])).content.decode()
    assert "Not instrumented" not in html and "here now" not in html


@pytest.mark.parametrize("model", ["source", "profile", "event", "profilemerge", "trackingrule"])
def test_admin_lists_customers_data_read_only(client, shop, model):
    from tests.factories import UserFactory

    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    assert client.get(reverse(f"admin:customers_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:customers_{model}_add")).status_code == 403
