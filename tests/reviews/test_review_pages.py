"""The review page, the one-form record, the dashboard and the lists, as the browser sees them."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from reviews.models import ActionItem, Review
from teams.models import Team

from .conftest import days_ago

pytestmark = pytest.mark.django_db


def _post_review(client, journey_map, rows, **fields):
    data = {"date": timezone.localdate().isoformat(), "kind": "weekly", "notes": "n", "decisions": "d", **fields}
    data["rows"] = list(rows)
    for key, row in rows.items():
        for name, value in row.items():
            data[f"item-{key}-{name}"] = value
    return client.post(reverse("reviews:map_review", args=[journey_map.pk]), data, HTTP_HX_REQUEST="true")


def test_review_page_shows_the_agenda_and_the_form(client_as, erin, shop_map, v1):
    response = client_as(erin).get(reverse("reviews:map_review", args=[shop_map.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "First review" in body
    assert "Record this review" in body
    assert "Checkout" in body  # added in v1, the first agenda's diff


def test_viewer_reads_the_agenda_without_the_form(client_as, victor, shop_map):
    response = client_as(victor).get(reverse("reviews:map_review", args=[shop_map.pk]))
    assert response.status_code == 200
    assert "Record this review" not in response.content.decode()


def test_record_with_two_action_items_in_one_post(client_as, erin, alice, shop_map, checkout, v1):
    response = _post_review(
        client_as(erin),
        shop_map,
        {
            "a1": {
                "title": "Show delivery date",
                "owner": erin.pk,
                "due_date": "2030-01-01",
                "link": f"tp:{checkout.pk}",
            },
            "b2": {"title": "Rewrite returns", "owner": alice.pk},
            "c3": {"title": ""},  # a blank row is skipped
        },
        attendees=[erin.pk, alice.pk],
        facilitator=alice.pk,
        map_version=v1.pk,
    )
    assert response.status_code == 200
    review = Review.objects.get()
    assert response["HX-Redirect"] == review.get_absolute_url()
    assert review.facilitator == alice and review.map_version == v1
    items = list(review.action_items.order_by("position"))
    assert [(i.title, i.owner, i.touchpoint) for i in items] == [
        ("Show delivery date", erin, checkout),
        ("Rewrite returns", alice, None),
    ]


def test_invalid_row_is_a_400_with_the_error_next_to_it_and_nothing_stored(client_as, erin, shop_map):
    response = _post_review(client_as(erin), shop_map, {"a1": {"title": "", "owner": erin.pk}})
    assert response.status_code == 400
    assert "Give the action item a title, or clear the row." in response.content.decode()
    assert Review.objects.count() == 0 and ActionItem.objects.count() == 0


def test_future_date_is_a_400_on_the_date_field(client_as, erin, shop_map):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = _post_review(client_as(erin), shop_map, {}, date=tomorrow)
    assert response.status_code == 400
    assert "A review cannot be recorded for a future date." in response.content.decode()
    assert Review.objects.count() == 0


def test_viewer_post_is_403_even_when_empty(client_as, victor, shop_map):
    response = client_as(victor).post(reverse("reviews:map_review", args=[shop_map.pk]), {})
    assert response.status_code == 403


def test_outsider_gets_404(client_as, oscar, shop_map):
    assert client_as(oscar).get(reverse("reviews:map_review", args=[shop_map.pk])).status_code == 404


def test_next_weeks_agenda_shows_the_open_item(client_as, erin, shop_map, record):
    with time_machine.travel(days_ago(7), tick=False):
        review = record(shop_map, items=[{"title": "Still open"}, {"title": "Finished"}])
    client = client_as(erin)
    done = review.action_items.get(title="Finished")
    response = client.post(reverse("reviews:action_item_toggle", args=[done.pk]), {"done": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    done.refresh_from_db()
    assert done.done
    body = client.get(reverse("reviews:map_review", args=[shop_map.pk])).content.decode()
    carried = body.split("Carried over")[1].split("Done since the last review")
    assert "Still open" in carried[0] and "Finished" not in carried[0]
    assert "Finished" in carried[1]


def test_action_row_returns_a_blank_row(client_as, erin, shop_map):
    response = client_as(erin).get(reverse("reviews:action_row", args=[shop_map.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'name="rows"' in response.content.decode()


def test_dashboard_is_the_team_home(client_as, alice, shop_map, record):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    record(shop_map, items=[{"title": "Overdue thing", "owner": alice, "due_date": yesterday}], date=yesterday)
    response = client_as(alice).get(reverse("home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Overdue thing" in body
    assert "Online shop" in body
    assert "Reviews due this week" in body


def test_dashboard_without_a_team_shows_the_no_team_page(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="loner"))
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "You are not in a team yet" in response.content.decode()


def test_review_list_filters_maps_not_reviewed_since(client_as, alice, team_a, shop_map, record, erin):
    from journeys import services as journey_services

    bank = journey_services.map_create(team=team_a, actor=erin, title="Loan application")
    record(shop_map)
    since = (timezone.localdate() - datetime.timedelta(days=7)).isoformat()
    response = client_as(alice).get(reverse("reviews:list"), {"not_reviewed_since": since})
    body = response.content.decode()
    assert response.status_code == 200
    listed = body.split('id="map-status"')[1].split("Recent reviews")[0]
    assert bank.title in listed
    assert "Online shop" not in listed


def test_review_detail_and_delete(client_as, erin, shop_map, record):
    review = record(shop_map, items=[{"title": "Minute item"}], notes="We talked")
    client = client_as(erin)
    page = client.get(review.get_absolute_url())
    assert page.status_code == 200 and "We talked" in page.content.decode()
    response = client.post(reverse("reviews:delete", args=[review.pk]))
    assert response.status_code == 302
    assert Review.objects.count() == 0 and ActionItem.objects.count() == 0


def test_settings_admin_saves_and_editor_is_refused(client_as, alice, erin, team_a):
    url = reverse("reviews:settings")
    assert client_as(erin).post(url, {"review_cadence_days": 14}).status_code == 403
    response = client_as(alice).post(
        url, {"review_cadence_days": 14, "digest_enabled": "on", "digest_weekday": 3, "digest_hour": 7}
    )
    assert response.status_code == 302
    assert Team.objects.get(pk=team_a.pk).review_settings.digest_weekday == 3
    bad = client_as(alice).post(url, {"review_cadence_days": 0, "digest_weekday": 3, "digest_hour": 30})
    assert bad.status_code == 400
    assert Team.objects.get(pk=team_a.pk).review_settings.digest_hour == 7


def test_action_item_list_filters(client_as, alice, shop_map, record):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    record(shop_map, items=[{"title": "Late one", "due_date": yesterday}, {"title": "On time"}], date=yesterday)
    body = client_as(alice).get(reverse("reviews:action_items"), {"show": "overdue"}).content.decode()
    assert "Late one" in body and "On time" not in body


def test_review_page_queries_do_not_grow(client_as, erin, shop_map, checkout, record, django_assert_max_num_queries):
    client = client_as(erin)
    record(shop_map, items=[{"title": f"Item {i}", "owner": erin} for i in range(3)])
    url = reverse("reviews:map_review", args=[shop_map.pk])
    client.get(url)
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    record(shop_map, items=[{"title": f"More {i}", "owner": erin, "touchpoint": checkout} for i in range(12)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_dashboard_queries_do_not_grow(client_as, alice, team_a, erin, record, django_assert_max_num_queries):
    from journeys import services as journey_services

    client = client_as(alice)
    first = journey_services.map_create(team=team_a, actor=erin, title="Map 0")
    record(first, items=[{"title": "x", "owner": erin, "due_date": timezone.localdate()}])
    client.get(reverse("home"))
    with django_assert_max_num_queries(40) as few:
        client.get(reverse("home"))
    for i in range(1, 6):
        m = journey_services.map_create(team=team_a, actor=erin, title=f"Map {i}")
        record(m, items=[{"title": "y", "owner": erin, "due_date": timezone.localdate()}])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("home"))
