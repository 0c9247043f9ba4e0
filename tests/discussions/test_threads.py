"""Threads, comments and mentions through the services: who may write, who gets notified."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from discussions import services
from discussions.mentions import mentioned_names
from discussions.models import Comment, Notification, Thread


def test_mentioned_names_reads_usernames_and_leaves_emails_and_full_stops():
    assert mentioned_names("@erin, ask @Victor. Mail bob@example.com or @erin again") == ["erin", "Victor"]
    assert mentioned_names("cc @a.b-c_d+e.") == ["a.b-c_d+e"]
    assert mentioned_names("nobody") == []


def test_a_thread_on_a_pain_point_notifies_the_members_it_mentions(shop, erin, victor, alice, oscar):
    thread = services.thread_start(
        actor=erin, part=shop["pain"], body=f"@{victor.username} @{oscar.username} @ALICE @nobody is this still true?"
    )
    assert thread.target == Thread.Target.PAIN_POINT and thread.pain_point == shop["pain"]
    assert thread.journey_map == shop["map"] and thread.status == Thread.Status.OPEN and thread.created_by == erin
    comment = thread.comments.get()
    # Oscar is in another team: his name stays text and he hears nothing.
    assert set(comment.mentioned.all()) == {victor, alice}
    rows = Notification.objects.filter(comment=comment).order_by("recipient__username")
    assert [(n.recipient, n.team_id, n.read_at) for n in rows] == [
        (alice, shop["map"].team_id, None),
        (victor, shop["map"].team_id, None),
    ]


def test_mentioning_oneself_notifies_nobody(shop, erin):
    thread = services.thread_start(actor=erin, part=shop["stage"], body=f"note to self @{erin.username}")
    assert list(thread.comments.get().mentioned.all()) == [erin]
    assert not Notification.objects.exists()


@pytest.mark.parametrize("part", ["map", "stage", "touchpoint", "pain", "version"])
def test_every_kind_of_part_can_be_discussed(shop, erin, part):
    from journeys import services as maps

    target = (
        maps.map_publish(journey_map=shop["map"], actor=erin, note="v1", revision=None)
        if part == "version"
        else shop[part]
    )
    thread = services.thread_start(actor=erin, part=target, body="Why?")
    assert thread.part == target
    assert thread.subject in {"Shop checkout", "Decision", "Checkout page", "Delivery time unclear", "v1"}


def test_viewer_cannot_comment_and_outsider_gets_404(shop, victor, oscar):
    with pytest.raises(PermissionDenied):
        services.thread_start(actor=victor, part=shop["map"], body="Hi")
    with pytest.raises(Http404):
        services.thread_start(actor=oscar, part=shop["map"], body="Hi")
    assert not Thread.objects.exists()


def test_empty_or_too_long_body_is_refused_naming_the_field(shop, erin):
    with pytest.raises(ValidationError) as empty:
        services.thread_start(actor=erin, part=shop["map"], body="   ")
    assert "body" in empty.value.message_dict
    with pytest.raises(ValidationError) as long:
        services.thread_start(actor=erin, part=shop["map"], body="x" * 5001)
    assert "body" in long.value.message_dict
    assert not Thread.objects.exists()


def test_resolve_reopen_and_a_reply_reopens(shop, erin, alice):
    thread = services.thread_start(actor=erin, part=shop["touchpoint"], body="Slow?")
    thread = services.thread_resolve(actor=alice, thread=thread)
    assert thread.status == Thread.Status.RESOLVED and thread.resolved_by == alice and thread.resolved_at
    thread = services.thread_reopen(actor=erin, thread=thread)
    assert thread.status == Thread.Status.OPEN and thread.resolved_by is None and thread.resolved_at is None
    services.thread_resolve(actor=alice, thread=thread)
    reply = services.comment_add(actor=erin, thread=thread, body="It is back")
    thread.refresh_from_db()
    assert thread.status == Thread.Status.OPEN and thread.last_comment_at == reply.created_at
    assert thread.comments.count() == 2


def test_only_the_author_edits_and_an_edit_notifies_only_new_mentions(shop, erin, alice, victor):
    thread = services.thread_start(actor=erin, part=shop["map"], body=f"@{victor.username} look")
    comment = thread.comments.get()
    with pytest.raises(PermissionDenied):
        services.comment_edit(actor=alice, comment=comment, body="hijacked")
    services.comment_edit(actor=erin, comment=comment, body=f"@{victor.username} and @{alice.username} look")
    comment.refresh_from_db()
    assert comment.body.endswith("look") and comment.edited_at is not None
    assert sorted(Notification.objects.values_list("recipient__username", flat=True)) == ["alice", "victor"]


def test_delete_own_comment_admin_may_moderate_and_the_last_one_takes_the_thread(shop, erin, alice, team_a):
    from teams.models import Membership, Role
    from tests.factories import UserFactory

    other = UserFactory(username="eddie")
    Membership.objects.create(team=team_a, user=other, role=Role.EDITOR)
    thread = services.thread_start(actor=erin, part=shop["map"], body="first")
    second = services.comment_add(actor=erin, thread=thread, body="second")
    with pytest.raises(PermissionDenied):
        services.comment_delete(actor=other, comment=second)
    assert services.comment_delete(actor=alice, comment=second) == thread  # the admin moderates
    assert services.comment_delete(actor=erin, comment=thread.comments.get()) is None
    assert not Thread.objects.exists() and not Comment.objects.exists()


def test_deleting_the_pain_point_deletes_its_threads(shop, erin):
    from journeys import services as maps

    services.thread_start(actor=erin, part=shop["pain"], body="Gone soon")
    maps.pain_point_delete(pain_point=shop["pain"], actor=erin, revision=None)
    assert not Thread.objects.exists()


def test_notifications_mark_read_only_ones_own(shop, erin, victor, alice):
    services.thread_start(actor=erin, part=shop["map"], body=f"@{victor.username} @{alice.username}")
    mine = Notification.objects.get(recipient=victor)
    with pytest.raises(PermissionDenied):
        services.notification_mark_read(actor=alice, notification=mine)
    services.notification_mark_read(actor=victor, notification=mine)
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert services.notifications_mark_all_read(actor=alice) == 1
    assert not Notification.objects.filter(read_at=None).exists()
