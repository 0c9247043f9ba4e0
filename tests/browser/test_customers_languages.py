"""The customers pages in Traditional Chinese and Bulgarian: translated, and the layout holds.

Screenshots go to docs/screenshots/ (customers-zh-hant.png, sources-bg.png, ...).
"""

import pytest
from django.utils import timezone

from customers import services
from customers.models import Profile

from .shots import capture

LANGUAGES = {
    "zh-hant": ("zh-TW", "客戶", "資料來源", "時間軸"),
    "bg": ("bg-BG", "Клиенти", "Източници", "Хронология"),
}


@pytest.fixture
def customers(team_a, alice):
    source, _key = services.source_create(team=team_a, actor=alice, name="Online shop", kind="web")
    services.events_ingest(
        source=source,
        items=[
            {"type": "identify", "userId": "ana", "anonymousId": "a-ana", "traits": {"plan": "team", "country": "LV"}},
            {"type": "page", "name": "Product", "anonymousId": "a-ana", "properties": {"path": "/products/sofa"}},
            {"type": "track", "event": "Checkout Started", "userId": "ana", "properties": {"total": 499}},
        ],
        received_at=timezone.now(),
    )
    return Profile.objects.get(user_id="ana")


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("language", list(LANGUAGES))
def test_customers_pages_in_another_language_keep_their_layout(browser, live_server, customers, alice, language, width):
    locale, heading, sources, timeline = LANGUAGES[language]
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900}, locale=locale)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.fill("input[name=username]", alice.username)
        page.fill("input[name=password]", "waymark-demo")
        page.click("form [type=submit]")
        page.wait_for_load_state()
        suffix = "" if width > 1000 else "-phone"
        for url, title, shot in (
            ("/customers/", heading, "customers"),
            ("/customers/sources/", sources, "sources"),
            (f"/customers/profiles/{customers.pk}/", timeline, "profile"),
        ):
            page.goto(url)
            assert page.evaluate("() => document.documentElement.lang") == language
            assert title in page.inner_text("main")
            assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), url
            if width > 1000:
                capture(page, f"{shot}-{language}{suffix}")
    finally:
        context.close()
