"""waymark-track.js, the first-party snippet, sends Segment-shaped calls from a customer's site.

The site is the small server of tests/browser/test_customers.py on another origin (127.0.0.1),
loading the snippet from the live server (localhost): every send is cross-origin, through CORS, as
on a customer's site.
"""

import json

import pytest

from customers import public
from customers.models import Event, Identity, PrivacySettings, Profile
from customers.services import source_create

from .test_customers import shop_server, wait_for  # noqa: F401 (a fixture)

PAGE = """<!doctype html><html lang="en"><head><title>Furniture</title>
<script>window.waymark = window.waymark || []; %(stub)s</script>
<script src="%(snippet)s" data-write-key="%(key)s" %(attrs)s async></script></head>
<body><p>Sofas</p><script>
window.retries = []; window.sent = 0;
addEventListener("waymark:retry", (e) => window.retries.push(e.detail));
addEventListener("waymark:sent", (e) => { window.sent += e.detail.count; });
</script></body></html>"""


def serve(shop_server, live_server, key, *, stub="", attrs="", path="/shop/sofa"):  # noqa: F811
    shop, pages = shop_server
    pages[path] = PAGE % {
        "snippet": f"{live_server.url}/static/waymark/widget/waymark-track.js",
        "key": key,
        "stub": stub,
        "attrs": attrs,
    }
    return f"{shop}{path}"


@pytest.mark.django_db(transaction=True)
def test_snippet_sends_track_page_identify_to_one_merged_profile(page, live_server, shop_server, team_a, alice):  # noqa: F811
    source, key = source_create(team=team_a, actor=alice, name="Shop site")
    # Calls made before the snippet loads wait in the array and are replayed in order.
    stub = 'waymark.push(["track", "Product Viewed", {"sku": "sofa-3"}]);'
    page.goto(serve(shop_server, live_server, key, stub=stub))
    page.wait_for_function("() => window.waymark && window.waymark.loaded")
    anonymous_id = page.evaluate("() => waymark.user().anonymousId")
    page.evaluate(
        """() => { waymark.identify("ana", {plan: "team", country: "LV", device: "mobile"});
                   waymark.track("Checkout Started", {total: 499}); waymark.group("acme", {name: "Acme"}); }"""
    )
    assert wait_for(lambda: Event.objects.filter(source=source).count() == 5)
    # A second page of the same site: the same visitor, the same ids, from localStorage.
    page.goto(serve(shop_server, live_server, key, path="/shop/returns"))
    page.wait_for_function("() => window.waymark && window.waymark.loaded")
    assert page.evaluate("() => waymark.user()") == {"anonymousId": anonymous_id, "userId": "ana"}
    assert wait_for(lambda: Event.objects.filter(source=source).count() == 6)

    # Calls made within half a second share a batch: order by the client's clock, then by kind.
    events = sorted(Event.objects.filter(source=source), key=lambda e: (e.original_timestamp, e.type != "page"))
    assert sorted((e.type, e.event, e.path, e.user_id) for e in events) == [
        ("group", "", "", "ana"),
        ("identify", "", "", "ana"),
        ("page", "", "/shop/returns", "ana"),
        ("page", "", "/shop/sofa", ""),
        ("track", "Checkout Started", "", "ana"),
        ("track", "Product Viewed", "", ""),
    ]
    assert (events[0].path, events[-1].path) == ("/shop/sofa", "/shop/returns")
    by_name = {e.event or e.path or e.type: e for e in events}
    assert {e.anonymous_id for e in events} == {anonymous_id}
    assert by_name["Product Viewed"].properties == {"sku": "sofa-3"}
    assert by_name["Checkout Started"].properties == {"total": 499}
    assert by_name["group"].group_id == "acme"
    first_page = by_name["/shop/sofa"]
    assert first_page.properties["url"].endswith("/shop/sofa")
    assert first_page.properties["title"] == "Furniture"
    assert first_page.context["library"] == {"name": "waymark-track.js", "version": "1.0.0"}
    assert first_page.context["page"]["path"] == "/shop/sofa"
    assert len({e.message_id for e in events}) == 6
    # sentAt and timestamp were both sent: the server corrected nothing worth flagging.
    assert all(e.sent_at is not None and e.original_timestamp is not None and not e.flags for e in events)
    # The anonymous visit and the identified person are one profile, with the traits.
    profile = Profile.objects.get(team=team_a, user_id="ana")
    assert profile.traits == {"plan": "team", "country": "LV", "device": "mobile"}
    assert Identity.objects.get(team=team_a, kind="anonymous_id", value=anonymous_id).profile_id == profile.pk
    assert Profile.objects.filter(team=team_a, merged_into__isnull=True).count() == 1


@pytest.mark.django_db(transaction=True)
def test_snippet_waits_out_a_429_and_the_retry_stores_once(page, live_server, shop_server, team_a, alice, monkeypatch):  # noqa: F811
    source, key = source_create(team=team_a, actor=alice, name="Shop site")
    answers = []
    real = public._rate_limited

    def first_over_the_rate(source):
        answers.append(source.pk)
        return 1 if len(answers) == 1 else real(source)

    monkeypatch.setattr(public, "_rate_limited", first_over_the_rate)
    page.goto(serve(shop_server, live_server, key, stub='waymark.push(["track", "Cart Viewed"]);'))
    assert wait_for(lambda: Event.objects.filter(source=source).count() == 2)
    page.wait_for_function("() => window.sent === 2")
    # Retry-After was readable across origins (CORS exposes it) and was what the snippet waited.
    assert page.evaluate("() => window.retries") == [{"status": 429, "attempt": 1, "delay": 1000, "retryAfter": 1}]
    assert len(answers) == 2
    assert sorted(Event.objects.filter(source=source).values_list("type", flat=True)) == ["page", "track"]


@pytest.mark.django_db(transaction=True)
def test_snippet_retries_a_lost_answer_with_the_same_message_ids(page, live_server, shop_server, team_a, alice):  # noqa: F811
    source, key = source_create(team=team_a, actor=alice, name="Shop site")
    bodies = []

    def lose_first_answer(route):
        bodies.append(json.loads(route.request.post_data))
        response = route.fetch()  # the server stores the events …
        if len(bodies) == 1:  # … but the site sees a 503, as when a proxy fails after the commit
            route.fulfill(response=response, status=503, headers={**response.headers, "retry-after": "1"})
        else:
            route.fulfill(response=response)

    page.route("**/v1/batch", lose_first_answer)
    page.goto(serve(shop_server, live_server, key, stub='waymark.push(["track", "Cart Viewed"]);'))
    page.wait_for_function("() => window.sent === 2")
    assert len(bodies) == 2
    first, second = bodies
    assert [m["messageId"] for m in first["batch"]] == [m["messageId"] for m in second["batch"]]
    assert second["sentAt"] >= first["sentAt"]
    assert first["writeKey"] == key
    # Stored by the first request; the retry's copies were duplicates.
    assert Event.objects.filter(source=source).count() == 2
    assert page.evaluate("() => window.retries.map((r) => [r.status, r.retryAfter])") == [[503, 1]]


@pytest.mark.django_db(transaction=True)
def test_snippet_holds_events_until_consent_and_drops_them_when_denied(page, live_server, shop_server, team_a, alice):  # noqa: F811
    source, key = source_create(team=team_a, actor=alice, name="Shop site")
    PrivacySettings.objects.update_or_create(team=team_a, defaults={"consent_category": "Analytics"})
    page.goto(serve(shop_server, live_server, key, attrs='data-consent-category="Analytics"'))
    page.wait_for_function("() => window.waymark && window.waymark.loaded")
    page.evaluate("() => waymark.track('Before Consent')")
    # Nothing is stored on the device before consent: no id, no queue.
    assert page.evaluate("() => Object.keys(localStorage).filter((k) => k.startsWith('waymark:'))") == []
    page.evaluate("() => { waymark.consent({Analytics: false}); waymark.track('Denied'); }")
    page.evaluate("() => { waymark.consent({analytics: true, Advertising: false}); waymark.track('Granted'); }")
    page.wait_for_function("() => window.sent === 1")
    event = Event.objects.get(source=source)
    assert event.event == "Granted"
    assert event.context["consent"] == {"categoryPreferences": {"analytics": True, "Advertising": False}}
    assert page.evaluate("() => localStorage.getItem('waymark:anonymousId')") == event.anonymous_id
