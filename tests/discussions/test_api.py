"""The discussions API: threads, comments, resolve/reopen, notifications and presence, team scoped."""

import datetime

import pytest
from django.utils import timezone

from discussions import services
from discussions.models import Notification, Presence, Thread


def test_start_a_thread_on_a_pain_point_and_reply_with_a_mention(api_as, shop, erin, victor):
    api = api_as(erin)
    response = api.post(
        "/api/v1/threads/",
        {"map": shop["map"].pk, "target": "pain_point", "target_id": shop["pain"].pk, "body": "Still the worst?"},
        format="json",
    )
    assert response.status_code == 201, response.content
    thread = response.json()
    assert thread["target"] == "pain_point" and thread["pain_point"] == shop["pain"].pk
    assert thread["subject"] == "Delivery time unclear" and thread["status"] == "open"
    assert [c["body"] for c in thread["comments"]] == ["Still the worst?"]
    reply = api.post(
        "/api/v1/comments/", {"thread": thread["id"], "body": f"@{victor.username} please check"}, format="json"
    )
    assert reply.status_code == 201, reply.content
    assert [p["username"] for p in reply.json()["mentioned"]] == [victor.username]
    assert Notification.objects.get().recipient == victor


def test_a_part_of_another_map_or_none_is_a_400_naming_target_id(api_as, shop, erin, team_a):
    from journeys import services as maps

    other = maps.map_create(team=team_a, actor=erin, title="Other", stages=["Awareness"])
    api = api_as(erin)
    wrong = api.post(
        "/api/v1/threads/",
        {"map": other.pk, "target": "stage", "target_id": shop["stage"].pk, "body": "x"},
        format="json",
    )
    assert wrong.status_code == 400 and "target_id" in wrong.json()["errors"]
    missing = api.post("/api/v1/threads/", {"map": other.pk, "target": "stage", "body": "x"}, format="json")
    assert missing.status_code == 400 and "target_id" in missing.json()["errors"]
    empty = api.post("/api/v1/threads/", {"map": other.pk, "body": ""}, format="json")
    assert empty.status_code == 400 and "body" in empty.json()["errors"]
    assert not Thread.objects.exists()


def test_outsider_sees_no_thread_and_cannot_start_one(api_as, shop, erin, oscar):
    thread = services.thread_start(actor=erin, part=shop["map"], body="ours")
    api = api_as(oscar)
    assert api.get("/api/v1/threads/").json()["results"] == []
    assert api.get(f"/api/v1/threads/{thread.pk}/").status_code == 404
    response = api.post("/api/v1/threads/", {"map": shop["map"].pk, "body": "x"}, format="json")
    assert response.status_code == 400 and "map" in response.json()["errors"]
    assert api.post(f"/api/v1/threads/{thread.pk}/resolve/").status_code == 404


def test_resolve_and_reopen_by_an_editor_not_a_viewer(api_as, shop, erin, victor):
    thread = services.thread_start(actor=erin, part=shop["touchpoint"], body="?")
    assert api_as(victor).post(f"/api/v1/threads/{thread.pk}/resolve/").status_code == 403
    resolved = api_as(erin).post(f"/api/v1/threads/{thread.pk}/resolve/")
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    assert resolved.json()["resolved_by"]["username"] == erin.username
    listed = api_as(victor).get(f"/api/v1/threads/?map={shop['map'].pk}&status=resolved").json()["results"]
    assert [t["id"] for t in listed] == [thread.pk]
    reopened = api_as(erin).post(f"/api/v1/threads/{thread.pk}/reopen/")
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"


def test_edit_and_delete_only_ones_own_comment(api_as, shop, erin, alice):
    thread = services.thread_start(actor=erin, part=shop["map"], body="mine")
    comment = thread.comments.get()
    assert api_as(alice).patch(f"/api/v1/comments/{comment.pk}/", {"body": "theirs"}, format="json").status_code == 403
    edited = api_as(erin).patch(f"/api/v1/comments/{comment.pk}/", {"body": "mine, edited"}, format="json")
    assert edited.status_code == 200 and edited.json()["body"] == "mine, edited" and edited.json()["edited_at"]
    assert api_as(erin).delete(f"/api/v1/comments/{comment.pk}/").status_code == 204
    assert not Thread.objects.exists()


def test_unknown_ordering_is_a_400_naming_it(api_as, erin):
    for url in ("/api/v1/threads/", "/api/v1/comments/", "/api/v1/notifications/", "/api/v1/presence/"):
        response = api_as(erin).get(url + "?ordering=nope")
        assert response.status_code == 400 and "ordering" in response.json()["errors"], url


def test_notifications_are_ones_own_and_can_be_marked_read(api_as, key_client, shop, erin, victor, alice):
    services.thread_start(actor=erin, part=shop["map"], body=f"@{victor.username} @{alice.username} look")
    mine = api_as(victor).get("/api/v1/notifications/").json()["results"]
    assert len(mine) == 1 and mine[0]["unread"] is True and mine[0]["author"]["username"] == erin.username
    assert mine[0]["map"] == shop["map"].pk and mine[0]["body"].endswith("look")
    alices = Notification.objects.get(recipient=alice)
    assert api_as(victor).post(f"/api/v1/notifications/{alices.pk}/read/").status_code == 404
    read = api_as(victor).post(f"/api/v1/notifications/{mine[0]['id']}/read/")
    assert read.status_code == 200 and read.json()["read_at"]
    assert api_as(victor).get("/api/v1/notifications/?unread=true").json()["results"] == []
    assert api_as(alice).post("/api/v1/notifications/read-all/?team=x").status_code == 400
    assert api_as(alice).post("/api/v1/notifications/read-all/").json() == {"marked": 1}
    # An API key is not a person: no notifications, and no marking.
    assert key_client().get("/api/v1/notifications/").json()["results"] == []
    assert key_client().post("/api/v1/notifications/read-all/").status_code == 403


def test_presence_heartbeat_lists_who_edits_what_and_expires(api_as, key_client, shop, erin, victor, oscar):
    api = api_as(erin)
    response = api.post(
        "/api/v1/presence/", {"map": shop["map"].pk, "editing": "touchpoint", "editing_id": shop["touchpoint"].pk}
    )
    assert response.status_code == 200, response.content
    assert response.json()["editing_name"] == "Checkout page"
    assert api_as(victor).post("/api/v1/presence/", {"map": shop["map"].pk}).status_code == 200
    rows = api_as(victor).get(f"/api/v1/presence/?map={shop['map'].pk}").json()["results"]
    assert [(r["user"]["username"], r["editing"]) for r in rows] == [
        (erin.username, "touchpoint"),
        (victor.username, ""),
    ]
    # Someone not seen for more than 30 seconds is gone.
    Presence.objects.filter(user=victor).update(seen_at=timezone.now() - datetime.timedelta(seconds=31))
    rows = api_as(erin).get(f"/api/v1/presence/?map={shop['map'].pk}").json()["results"]
    assert [r["user"]["username"] for r in rows] == [erin.username]
    wrong = api.post("/api/v1/presence/", {"map": shop["map"].pk, "editing": "stage", "editing_id": 10**12})
    assert wrong.status_code == 400 and "editing_id" in wrong.json()["errors"]
    assert api_as(oscar).post("/api/v1/presence/", {"map": shop["map"].pk}).status_code == 400
    assert key_client().post("/api/v1/presence/", {"map": shop["map"].pk}).status_code == 403


@pytest.mark.parametrize("size", [1, 6])
def test_thread_list_queries_do_not_grow(api_as, shop, erin, victor, django_assert_max_num_queries, size):
    for i in range(size):
        thread = services.thread_start(actor=erin, part=shop["touchpoint"], body=f"@{victor.username} {i}")
        services.comment_add(actor=erin, thread=thread, body="reply")
    api = api_as(victor)
    api.get("/api/v1/threads/")  # the session's first request writes it
    with django_assert_max_num_queries(9):
        assert len(api.get("/api/v1/threads/").json()["results"]) == size
    with django_assert_max_num_queries(6):
        assert len(api.get("/api/v1/notifications/").json()["results"]) == size
