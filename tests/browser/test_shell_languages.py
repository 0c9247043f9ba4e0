"""The shell (navigation, account menu, login) and the team and persona pages in zh-hant and bg.

Bulgarian labels are the longest of the five languages and Chinese has no spaces to break at: the
navigation must fit the top bar (or fold behind its menu button), and no page may grow sideways.
Screenshots go to docs/screenshots/ (shell-members-bg.png, shell-personas-zh-hant.png, ...).
"""

import pytest

from .shots import capture

LANGUAGES = {"zh-hant": ("zh-TW", "成員", "登入"), "bg": ("bg-BG", "Членове", "Вход")}


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def _spills(page, selector) -> list[str]:
    """Return the texts of ``selector`` elements whose content is wider than their box."""
    return page.eval_on_selector_all(
        selector, "els => els.filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.trim())"
    )


@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("width", [1366, 390])
def test_the_shell_in_another_language_keeps_its_layout(browser, live_server, alice, team_a, language, width):
    locale, members, log_in = LANGUAGES[language]
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900}, locale=locale)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        assert page.evaluate("() => document.documentElement.lang") == language
        assert log_in in page.inner_text("form [type=submit]")
        assert _no_sideways_scroll(page)
        page.fill("input[name=username]", alice.username)
        page.fill("input[name=password]", "waymark-demo")
        page.click("form [type=submit]")
        page.wait_for_load_state()

        page.goto(f"/teams/{team_a.slug}/members/")
        assert members in page.inner_text(".wm-tabs")
        assert _no_sideways_scroll(page)
        if width > 1100:
            # Every link of the top bar fits in the bar, on one line each.
            bar = page.evaluate("() => document.querySelector('.wm-topbar').getBoundingClientRect().right")
            rights = page.eval_on_selector_all(".wm-nav a", "els => els.map(e => e.getBoundingClientRect().right)")
            assert max(rights) <= bar + 1
            # No label breaks over two lines: its text's line boxes all start at one height.
            wrapped = page.eval_on_selector_all(
                ".wm-nav a",
                """els => els.filter(e => {
                    const range = document.createRange();
                    range.selectNodeContents(e);
                    return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1;
                }).map(e => e.textContent.trim())""",
            )
            assert wrapped == []
        else:
            page.click(".wm-nav-toggle")
            assert page.is_visible(".wm-nav-menu")
            assert _no_sideways_scroll(page)
        assert _spills(page, ".wm-tabs a, button") == []
        capture(page, f"shell-members-{language}-{width}")

        page.goto("/personas/")
        assert _no_sideways_scroll(page)
        capture(page, f"shell-personas-{language}-{width}")
    finally:
        context.close()
