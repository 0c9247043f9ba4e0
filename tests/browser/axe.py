"""Run axe-core (vendored: static/vendor/axe) on the page a Playwright test has open.

The script is added by URL from the app's own static files, so a Content-Security-Policy that
allows only the app's own scripts lets it run, and the check needs no network.
"""

AXE_URL = "/static/vendor/axe/axe.min.js"
# What fails a test: the impacts axe ranks highest. Moderate and minor findings are reported by
# axe too but are judgement calls (region landmarks, heading order) that do not block anyone.
BLOCKING = ("serious", "critical")

_RUN = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " :: " + n.failureSummary.replace(/\\s+/g, " ")),
  }));
}"""


def violations(page) -> list[dict]:
    """Return axe's serious and critical violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_URL)
        page.wait_for_function("() => typeof window.axe !== 'undefined'")
    return [v for v in page.evaluate(_RUN) if v["impact"] in BLOCKING]


def describe(found: dict[str, list[dict]]) -> str:
    """Format violations per page for an assertion message."""
    lines = []
    for where, items in found.items():
        for v in items:
            lines.append(f"{where}: {v['impact']} {v['id']} ({v['help']})")
            lines.extend(f"    {node}" for node in v["nodes"])
    return "\n".join(lines)
