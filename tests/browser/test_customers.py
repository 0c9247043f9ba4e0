"""analytics-next (the npm build, vendored for this test) sends to Waymark with only its host changed.

The shop's page is served by a small server of its own on another origin (127.0.0.1 and another
port, rather than localhost), so
the SDK's requests are cross-origin, as on a customer's site: text/plain bodies with the write key
inside, through CORS.
"""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from customers.models import Event, Identity, Profile
from customers.services import source_create

VENDOR = Path(__file__).parent / "vendor" / "analytics-next"

PAGE = """<!doctype html><html><head><title>Shop</title>
<script src="/ajs/index.js"></script></head><body><p>Furniture</p><script>
AnalyticsNext.AnalyticsBrowser.load(
  {writeKey: "%(key)s", cdnURL: "%(shop)s/cdn",
   cdnSettings: {integrations: {"Segment.io": {apiKey: "%(key)s", apiHost: "%(api)s", protocol: "http" %(strategy)s}}}},
).then(async ([analytics]) => {
  await analytics.page("Product", {path: "/products/sofa"});
  await analytics.track("Checkout Started", {total: 499});
  await analytics.identify("ana", {plan: "team", country: "LV"});
  document.title = "sent";
}).catch((error) => { document.title = "failed: " + error; });
</script></body></html>"""


@pytest.fixture
def shop_server():
    """The shop's site: a small HTTP server of its own, on another origin than Waymark's."""
    pages = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            name = self.path.split("?")[0].rsplit("/", 1)[1]
            if self.path.split("?")[0] in pages:
                body, kind = pages[self.path.split("?")[0]].encode(), "text/html"
            elif name.endswith(".js") and (VENDOR / name).is_file():
                body, kind = (VENDOR / name).read_bytes(), "application/javascript"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", pages
    server.shutdown()
    server.server_close()


def serve_shop(shop_server, live_server, key: str, *, batching: bool) -> str:
    shop, pages = shop_server
    port = live_server.url.rsplit(":", 1)[1]
    strategy = ', deliveryStrategy: {strategy: "batching", config: {size: 3, timeout: 100}}' if batching else ""
    pages["/"] = PAGE % {"key": key, "shop": shop, "api": f"localhost:{port}/v1", "strategy": strategy}
    return f"{shop}/"


def wait_for(condition, seconds=20):
    # Polls until the SDK's requests have been stored; the bound only keeps a broken run finite.
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("batching", [False, True], ids=["per-event", "batching"])
def test_analytics_next_sends_to_waymark_cross_origin(page, live_server, shop_server, team_a, alice, batching):
    source, key = source_create(team=team_a, actor=alice, name="Shop site")
    refused, answers = [], []
    page.on("requestfailed", lambda request: refused.append(f"{request.url} {request.failure}"))
    page.on("response", lambda response: answers.append((response.request.method, response.url, response.status)))
    page.goto(serve_shop(shop_server, live_server, key, batching=batching))
    page.wait_for_function("() => document.title !== 'Shop'")
    assert page.title() == "sent"
    assert wait_for(lambda: Event.objects.filter(source=source).count() == 3)
    assert [url for url in refused if "/v1/" in url] == []
    calls = [(url.rsplit("/", 1)[1], status) for method, url, status in answers if "/v1/" in url and method == "POST"]
    assert calls == ([("b", 200)] if batching else [("p", 200), ("t", 200), ("i", 200)])
    by_type = {event.type: event for event in Event.objects.filter(source=source)}
    assert set(by_type) == {"page", "track", "identify"}
    assert by_type["page"].path == "/products/sofa"
    assert by_type["track"].event == "Checkout Started"
    assert by_type["track"].properties == {"total": 499}
    assert by_type["track"].context["library"]["name"] == "analytics.js"
    anonymous_id = by_type["page"].anonymous_id
    assert anonymous_id
    profile = Profile.objects.get(user_id="ana")
    assert profile.traits == {"plan": "team", "country": "LV"}
    assert Identity.objects.get(kind="anonymous_id", value=anonymous_id).profile == profile
