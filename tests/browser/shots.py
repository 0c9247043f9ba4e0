"""Screenshots for docs/screenshots/: documentation, never what a test asserts."""

import warnings
from pathlib import Path

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def capture(page, name):
    """Write the page to docs/screenshots/NAME.png.

    Headless Chromium without a GPU now and then refuses a full-page capture of a tall page
    ("Unable to capture screenshot") when the machine is busy; the flow under test has passed by
    then, so the capture is tried again and then taken at the viewport's size, with a warning,
    instead of failing the test.
    """
    from playwright.sync_api import Error

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = str(SCREENSHOTS / f"{name}.png")
    for attempt in range(2):
        try:
            page.screenshot(path=path, full_page=True)
            return
        except Error:
            page.wait_for_timeout(500 * (attempt + 1))
    try:
        page.screenshot(path=path)
    except Error as error:
        warnings.warn(f"screenshot {name} not taken: {error}", stacklevel=2)
    else:
        warnings.warn(f"screenshot {name} taken at the viewport's size only", stacklevel=2)
