"""Playwright for Python driving Debian's Chromium (/usr/bin/chromium), headless.

Skipped, with the reason, where Chromium is absent; CI installs it (apt-get install chromium).
Screenshots of the main pages are written to docs/screenshots/ by the tests that take them.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"

# The machine has no network but loopback: keep Chromium from trying to reach Google's services.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(config, items):
    if not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
        for item in items:
            if "browser" in str(item.fspath):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def htmx_idle(page):
    """Wait until htmx has nothing in flight, swapping or settling.

    Call it before typing into a form htmx has just swapped in: on a slow machine the swap can still
    be settling when Playwright starts to type, and keystrokes land in the wrong field.
    """

    def wait():
        page.wait_for_function(
            "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
        )

    return wait


@pytest.fixture
def login(page):
    """Log in through the login form as ``user`` (password: the demo password)."""

    def do_login(user, password="waymark-demo"):
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/")
        return page

    return do_login


@pytest.fixture
def screenshot():
    from tests.browser.shots import capture

    return capture
