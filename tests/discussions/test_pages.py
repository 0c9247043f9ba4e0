"""The discussions UI: badges on the board, the threads panel, notifications, the bell and presence."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from discussions import services
from discussions.models import Notification, Thread
from journeys.extensions import registry

HX = {"HTTP_HX_REQUEST": "true"}


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_map_page_shows_counts_and_the_bar_for_one_extra_query(client_as, shop, erin, monkeypatch):
    thread = services.thread_start(actor=erin, part=shop["pain"], body="Is the delivery date shown?")
    services.comment_add(actor=erin, thread=thread, body="Not yet")
    client = client_as(erin)
    url = reverse("journeys:map_detail", args=[shop["map"].pk])
    html = client.get(url).content.decode()
    tp = shop["touchpoint"]
    assert f'id="discuss-touchpoint-{tp.pk}"' in html and "Comments on Checkout page: 2 (open threads: 1)" in html
    assert f'id="discuss-stage-{shop["stage"].pk}"' in html and "Comments on Decision: 0" in html
    assert reverse("discussions:presence", args=[shop["map"].pk]) in html
    assert '<span id="discuss-map-count" class="wm-count">1 open</span>' in html
    with_discussions = _queries(client, url)
    from discussions.board import annotate

    monkeypatch.setattr(registry, "annotators", [a for a in registry.annotators if a.fn is not annotate])
    assert with_discussions - _queries(client, url) == 1


def test_touchpoint_panel_lists_its_pain_points_threads_and_starts_one_with_a_mention(client_as, shop, erin, victor):
    client = client_as(erin)
    url = reverse("discussions:touchpoint_threads", args=[shop["map"].pk, shop["touchpoint"].pk])
    panel = client.get(url, **HX).content.decode()
    assert f'value="pain_point:{shop["pain"].pk}"' in panel and "Pain point: Delivery time unclear" in panel
    response = client.post(url, {"about": f"pain_point:{shop['pain'].pk}", "body": f"@{victor.username} still?"}, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    thread = Thread.objects.get()
    assert thread.pain_point == shop["pain"] and f'id="thread-{thread.pk}"' in html
    assert f'<span class="wm-mention">@{victor.username}</span> still?' in html
    assert 'hx-swap-oob="outerHTML"' in html and "Comments on Checkout page: 1 (open threads: 1)" in html
    assert Notification.objects.get().recipient == victor


def test_a_viewer_reads_but_cannot_post_and_bad_input_is_a_400(client_as, shop, erin, victor):
    url = reverse("discussions:stage_threads", args=[shop["map"].pk, shop["stage"].pk])
    services.thread_start(actor=erin, part=shop["stage"], body="A question")
    viewer = client_as(victor)
    html = viewer.get(url, **HX).content.decode()
    assert "A question" in html and "Start a thread" not in html
    assert viewer.post(url, {"about": "stage", "body": "x"}, **HX).status_code == 403
    editor = client_as(erin)
    assert editor.post(url, {"about": "stage", "body": ""}, **HX).status_code == 400
    assert editor.post(url, {"about": "map", "body": "x"}, **HX).status_code == 400  # not a choice here
    assert Thread.objects.count() == 1


def test_reply_resolve_reopen_edit_and_delete_in_the_panel(client_as, shop, erin, alice):
    thread = services.thread_start(actor=erin, part=shop["map"], body="First")
    client = client_as(erin)
    assert (
        client.post(reverse("discussions:thread_reply", args=[thread.pk]), {"body": "Second"}, **HX).status_code == 200
    )
    assert list(thread.comments.values_list("body", flat=True)) == ["First", "Second"]
    assert client.post(reverse("discussions:thread_reply", args=[thread.pk]), {"body": " "}, **HX).status_code == 400
    html = client.post(reverse("discussions:thread_resolve", args=[thread.pk]), **HX).content.decode()
    thread.refresh_from_db()
    assert thread.status == "resolved" and "Reopen" in html
    client.post(reverse("discussions:thread_reopen", args=[thread.pk]), **HX)
    thread.refresh_from_db()
    assert thread.status == "open"
    first = thread.comments.first()
    assert (
        client_as(alice).post(reverse("discussions:comment_edit", args=[first.pk]), {"body": "x"}, **HX).status_code
        == 403
    )
    client = client_as(erin)
    assert (
        client.post(reverse("discussions:comment_edit", args=[first.pk]), {"body": "First, edited"}, **HX).status_code
        == 200
    )
    first.refresh_from_db()
    assert first.body == "First, edited"
    client.post(reverse("discussions:comment_delete", args=[first.pk]), **HX)
    assert list(thread.comments.values_list("body", flat=True)) == ["Second"]


def test_notifications_page_bell_and_open_marks_read(client_as, shop, erin, victor):
    thread = services.thread_start(actor=erin, part=shop["pain"], body=f"@{victor.username} <b>look</b>")
    client = client_as(victor)
    bell = client.get(reverse("discussions:bell"), **HX).content.decode()
    assert "Notifications: 1 unread" in bell and 'class="wm-bell-count" aria-hidden="true">1<' in bell
    page = client.get(reverse("discussions:notifications")).content.decode()
    assert "Delivery time unclear" in page and "&lt;b&gt;look&lt;/b&gt;" in page and "<b>look" not in page
    notification = Notification.objects.get()
    response = client.post(reverse("discussions:notification_open", args=[notification.pk]))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('journeys:map_detail', args=[shop['map'].pk])}?thread={thread.pk}"
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert "Notifications: none unread" in client.get(reverse("discussions:bell"), **HX).content.decode()
    # The map page opened for the thread loads its panel.
    html = client.get(response["Location"]).content.decode()
    assert f'hx-get="{reverse("discussions:thread_detail", args=[thread.pk])}"' in html
    assert client.get(reverse("journeys:map_detail", args=[shop["map"].pk]) + "?thread=1x").status_code == 200
    # Someone else cannot open it.
    assert client_as(erin).post(reverse("discussions:notification_open", args=[notification.pk])).status_code == 404


def test_presence_shows_who_edits_what_and_warns_on_the_same_part(client_as, shop, erin, alice, victor):
    url = reverse("discussions:presence", args=[shop["map"].pk])
    tp_edit = reverse("journeys:touchpoint_edit", args=[shop["map"].pk, shop["touchpoint"].pk])
    assert client_as(erin).post(url, {"editing": tp_edit}, **HX).status_code == 200
    html = client_as(victor).post(url, {"editing": ""}, **HX).content.decode()
    assert f"<bdi>{erin.get_full_name()}</bdi>" in html and "editing touchpoint “Checkout page”" in html
    html = client_as(alice).post(url, {"editing": tp_edit}, **HX).content.decode()
    assert f"Editing the same thing as you: {erin.get_full_name()}." in html
    # A path of another map, or nonsense, edits nothing.
    other = reverse("journeys:touchpoint_edit", args=[shop["map"].pk + 1000, shop["touchpoint"].pk])
    html = client_as(victor).post(url, {"editing": other}, **HX).content.decode()
    assert f"<bdi>{alice.get_full_name()}</bdi>" in html  # the others still show
    from discussions.models import Presence

    assert Presence.objects.get(user=victor).editing == ""


@pytest.mark.parametrize("kind", ["map", "stage", "touchpoint"])
def test_panels_render_as_pages_without_htmx(client_as, shop, erin, kind):
    args = [shop["map"].pk] + ([] if kind == "map" else [shop[kind].pk])
    response = client_as(erin).get(reverse(f"discussions:{kind}_threads", args=args))
    assert response.status_code == 200 and "<html" in response.content.decode()


def test_open_threads_are_on_the_review_agenda_and_resolved_ones_are_not(client_as, api_as, shop, erin):
    open_one = services.thread_start(actor=erin, part=shop["pain"], body="Still unclear?")
    done = services.thread_start(actor=erin, part=shop["stage"], body="Settled")
    services.thread_resolve(actor=erin, thread=done)
    html = client_as(erin).get(reverse("reviews:map_review", args=[shop["map"].pk])).content.decode()
    assert "Open discussions" in html and "Still unclear?" in html and "Settled" not in html
    assert f"?thread={open_one.pk}" in html
    agenda = api_as(erin).get(f"/api/v1/review-status/{shop['map'].pk}/agenda/").json()
    assert [(t["id"], t["subject"], t["comments"]) for t in agenda["open_threads"]] == [
        (open_one.pk, "Delivery time unclear", 1)
    ]


def test_demo_seeds_an_open_and_a_resolved_thread_once_and_emails_nobody(shop, alice, erin, victor, team_a):
    from discussions import demo

    context = {
        "team": team_a,
        "users": {"demo": alice, "editor": erin, "viewer": victor},
        "maps": {"shop": shop["map"]},
    }
    made = demo.seed(context)["threads"]
    assert [(t.target, t.status) for t in made] == [("pain_point", "open"), ("stage", "resolved")]
    assert made[0].pain_point == shop["pain"] and made[0].comments.count() == 2
    assert list(Notification.objects.values_list("recipient", "email")) == [(alice.pk, "skipped")]
    assert demo.seed(context) == {} and Thread.objects.count() == 2


def test_the_traditional_chinese_demo_discusses_in_its_own_words(shop, alice, erin, victor, team_a):
    from discussions import demo

    context = {
        "team": team_a,
        "users": {"demo": alice, "editor": erin, "viewer": victor},
        "maps": {"funnel": shop["map"]},
    }
    first, second = demo.seed_zh_hant(context)["threads"]
    assert first.comments.first().body.startswith(f"@{alice.username} 顧客還是在這裡離開")
    assert second.status == Thread.Status.RESOLVED
