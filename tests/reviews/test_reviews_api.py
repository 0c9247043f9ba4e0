"""The reviews API: record with nested action items, action items, review status and the agenda."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from reviews.models import ActionItem, Review

from .conftest import days_ago

pytestmark = pytest.mark.django_db


def test_record_a_review_with_action_items(api_as, erin, alice, shop_map, checkout, v1):
    response = api_as(erin).post(
        "/api/v1/reviews/",
        {
            "map": shop_map.pk,
            "kind": "pricing_change",
            "attendees": [erin.pk, alice.pk],
            "notes": "New prices",
            "action_items": [
                {"title": "Update the pricing page", "owner": alice.pk, "touchpoint": checkout.pk},
                {"title": "Tell support"},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "pricing_change" and body["map_version"] == 1
    assert [i["title"] for i in body["action_items"]] == ["Update the pricing page", "Tell support"]
    assert Review.objects.get().action_items.count() == 2


def test_record_bad_item_is_400_naming_it_and_stores_nothing(api_as, erin, shop_map, oscar):
    response = api_as(erin).post(
        "/api/v1/reviews/",
        {"map": shop_map.pk, "action_items": [{"title": "ok"}, {"title": "x", "owner": oscar.pk}]},
        format="json",
    )
    assert response.status_code == 400
    assert "action_items" in response.json()["errors"]
    assert Review.objects.count() == 0 and ActionItem.objects.count() == 0


def test_record_on_another_teams_map_is_400(api_as, oscar, shop_map):
    response = api_as(oscar).post("/api/v1/reviews/", {"map": shop_map.pk}, format="json")
    assert response.status_code == 400
    assert "map" in response.json()["errors"]


def test_viewer_cannot_record(api_as, victor, shop_map):
    assert api_as(victor).post("/api/v1/reviews/", {"map": shop_map.pk}, format="json").status_code == 403


def test_list_reviews_filters_by_kind_and_date(api_as, alice, shop_map, record):
    with time_machine.travel(days_ago(30), tick=False):
        record(shop_map, kind="quarterly")
    record(shop_map)
    client = api_as(alice)
    assert [r["kind"] for r in client.get("/api/v1/reviews/", {"kind": "quarterly"}).json()["results"]] == ["quarterly"]
    since = (timezone.localdate() - datetime.timedelta(days=7)).isoformat()
    assert len(client.get("/api/v1/reviews/", {"date_after": since}).json()["results"]) == 1


def test_patch_review_changes_kind(api_as, erin, shop_map, record):
    review = record(shop_map)
    response = api_as(erin).patch(f"/api/v1/reviews/{review.pk}/", {"kind": "quarterly"}, format="json")
    assert response.status_code == 200 and response.json()["kind"] == "quarterly"
    review.refresh_from_db()
    assert review.kind == "quarterly"


def test_action_item_done_through_patch(api_as, erin, shop_map, record):
    item = record(shop_map, items=[{"title": "Do it"}]).action_items.get()
    response = api_as(erin).patch(f"/api/v1/action-items/{item.pk}/", {"done": True}, format="json")
    assert response.status_code == 200
    assert response.json()["done"] is True and response.json()["done_at"]
    item.refresh_from_db()
    assert item.done


def test_action_item_create_and_filters(api_as, erin, shop_map, record):
    review = record(shop_map)
    client = api_as(erin)
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    created = client.post(
        "/api/v1/action-items/", {"review": review.pk, "title": "Late", "due_date": yesterday}, format="json"
    )
    assert created.status_code == 201, created.json()
    client.post("/api/v1/action-items/", {"review": review.pk, "title": "Later"}, format="json")
    overdue = client.get("/api/v1/action-items/", {"overdue": "true"}).json()["results"]
    assert [i["title"] for i in overdue] == ["Late"]
    assert overdue[0]["overdue"] is True
    blank = client.post("/api/v1/action-items/", {"review": review.pk, "title": "  "}, format="json")
    assert blank.status_code == 400 and "title" in blank.json()["errors"]


def test_review_status_not_reviewed_since(api_as, alice, team_a, shop_map, record, erin):
    from journeys import services as journey_services

    bank = journey_services.map_create(team=team_a, actor=erin, title="Bank")
    record(shop_map)
    since = (timezone.localdate() - datetime.timedelta(days=3)).isoformat()
    rows = api_as(alice).get("/api/v1/review-status/", {"not_reviewed_since": since}).json()["results"]
    assert [r["id"] for r in rows] == [bank.pk]
    assert rows[0]["due_this_week"] is True and rows[0]["last_review_date"] is None


def test_agenda_json(api_as, alice, shop_map, v1, record):
    with time_machine.travel(days_ago(7), tick=False):
        record(shop_map, items=[{"title": "Carry me"}])
    response = api_as(alice).get(f"/api/v1/review-status/{shop_map.pk}/agenda/")
    assert response.status_code == 200
    body = response.json()
    assert body["map"]["id"] == shop_map.pk
    assert body["first_review"] is False
    assert [i["title"] for i in body["action_items"]["carried_over"]] == ["Carry me"]
    assert body["versions"]["latest"]["number"] == 1
    assert "score" in body["health"]


def test_agenda_of_another_team_is_404(api_as, oscar, shop_map):
    assert api_as(oscar).get(f"/api/v1/review-status/{shop_map.pk}/agenda/").status_code == 404


def test_list_endpoints_queries_do_not_grow(api_as, alice, shop_map, record, erin, django_assert_max_num_queries):
    client = api_as(alice)
    record(shop_map, items=[{"title": "a", "owner": erin}], attendees=[erin])
    counts = {}
    for url in ("/api/v1/reviews/", "/api/v1/action-items/", "/api/v1/review-status/"):
        client.get(url)
        with django_assert_max_num_queries(20) as few:
            assert client.get(url).status_code == 200
        counts[url] = len(few.captured_queries)
    for i in range(5):
        record(
            shop_map, items=[{"title": f"b{i}", "owner": erin}, {"title": f"c{i}", "owner": alice}], attendees=[erin]
        )
    for url, n in counts.items():
        with django_assert_max_num_queries(n):
            client.get(url)
