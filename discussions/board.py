"""Discussions on the map page: a comment count on every stage and touchpoint, and the bar above the board.

Registered in ``DiscussionsConfig.ready`` through ``journeys.extensions`` (journeys never imports
this app). The annotator counts the map's threads in one query (``selectors.map_tally``); the
badges are f-strings like the cards (``journeys.cards``), every text value through ``esc``. The
bar (``discussions/map_bar.html``) costs the page no query: presence and the threads load over
HTMX once the page is there.
"""

from __future__ import annotations

from functools import lru_cache
from html import escape as esc

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from journeys.extensions import card_language, register_map_annotator, register_map_include

from .selectors import Tally, map_tally

# A speech bubble drawn in the text's colour (an emoji needs a font many systems lack).
ICON = (
    '<svg class="wm-discuss-icon" aria-hidden="true" focusable="false" viewBox="0 0 16 16" width="12" height="12">'
    '<path d="M2 2.5h12v8H6l-3 3v-3H2z" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round"/>'
    "</svg>"
)

# A placeholder id reversed once per map: a board has hundreds of cards, each needs its URL.
_PK = 987654321987


def annotate(journey_map, stages, touchpoints) -> None:
    """Set ``discussion`` (a ``Tally``) and ``discussion_url`` on the map, its stages and touchpoints."""
    tally = map_tally(journey_map)
    journey_map.discussion = tally.total
    stage_url = reverse("discussions:stage_threads", args=[journey_map.pk, _PK])
    touchpoint_url = reverse("discussions:touchpoint_threads", args=[journey_map.pk, _PK])
    for stage in stages:
        stage.discussion = tally.stages.get(stage.pk) or Tally()
        stage.discussion_url = stage_url.replace(str(_PK), str(stage.pk))
    for touchpoint in touchpoints:
        touchpoint.discussion = tally.touchpoints.get(touchpoint.pk) or Tally()
        touchpoint.discussion_url = touchpoint_url.replace(str(_PK), str(touchpoint.pk))


@lru_cache(maxsize=64)
def _says(language: str | None) -> tuple[str, str]:
    """The badge's label in ``language`` (the active one), without and with open threads: looked up
    once, not for each of a board's hundreds of badges."""
    return gettext("Comments on %(name)s: %(n)s"), gettext("Comments on %(name)s: %(n)s (open threads: %(open)s)")


def badge(kind: str, pk: int, name: str, tally: Tally, url: str, *, oob: bool = False) -> str:
    """Return the button that opens the threads about one part, with its comment count.

    ``oob``: marked to replace the one on the board (an HTMX out-of-band swap after a write).
    """
    n = tally.comments
    says = _says(card_language())[1 if tally.open else 0]
    label = esc(says % {"name": name, "n": n, "open": tally.open})
    swap = ' hx-swap-oob="outerHTML"' if oob else ""
    state = " wm-discuss-open" if tally.open else (" wm-discuss-none" if not n else "")
    return (
        f'<button type="button" id="discuss-{kind}-{pk:d}" class="wm-discuss wm-no-print wm-no-present{state}"'
        f' hx-get="{esc(url)}"'
        f' hx-target="#panel" aria-label="{label}"'
        f"{swap}>"
        f'{ICON} <span aria-hidden="true">{n:d}</span></button>'
    )


def touchpoint_html(touchpoint) -> SafeString:
    t = touchpoint
    line = badge("touchpoint", t.pk, t.name, t.discussion, t.discussion_url)
    return SafeString(f'<p class="wm-discuss-line wm-no-print wm-no-present">{line}</p>')


def stage_html(stage) -> SafeString:
    return mark_safe(badge("stage", stage.pk, stage.name, stage.discussion, stage.discussion_url))


def register_extensions() -> None:
    register_map_annotator(annotate, touchpoint_html=touchpoint_html, stage_html=stage_html)
    register_map_include("discussions/map_bar.html")
