"""Feedback's parts of the map page's cards and stage headers (see ``journeys.cards``).

``feedback.selectors.annotate_map_scores`` sets ``score_chips`` (figures formatted once) on each
touchpoint and stage; these build the chips' HTML, every text value through ``esc``
(``html.escape``) as in ``journeys.cards``.
"""

from __future__ import annotations

from datetime import UTC
from functools import lru_cache
from html import escape as esc

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from journeys.extensions import card_language


@lru_cache(maxsize=64)
def _texts(language: str | None) -> tuple[str, str, str]:
    """The chips' fixed words in ``language`` (the active one), escaped: looked up once, not per card."""
    none = f'<span class="wm-muted wm-score-none">{esc(gettext("No feedback in 90 days"))}</span>'
    return none, esc(gettext("Feedback, last 90 days")), esc(gettext("Stage feedback, last 90 days"))


def _chips(chips) -> str:
    return _chips_cached(tuple(chips))


@lru_cache(maxsize=4096)
def _chips_cached(chips: tuple) -> str:
    """The chips' HTML: cached, as the chips of a stored scores row are the same on every view."""
    html = []
    for c in chips:
        title = f' title="{esc(c.title)}"' if c.title else ""
        testid = f' data-testid="{esc(c.testid)}"' if c.testid else ""
        html.append(
            f'<span class="wm-badge wm-score-chip{" is-thin" if c.thin else ""}"{title}>{esc(c.label)}'
            f" <strong{testid}>{esc(c.value)}</strong> <small>{esc(c.note)}</small></span>"
        )
    return " ".join(html)


def touchpoint_scores_html(touchpoint) -> SafeString:
    """NPS, CSAT and CES of the last 90 days on a card, each with its n."""
    none, label, _stage = _texts(card_language())
    chips = _chips(touchpoint.score_chips) if touchpoint.scores else none
    return SafeString(f'<div class="wm-scores" aria-label="{label}">{chips}</div>')


def stage_scores_html(stage) -> SafeString:
    """A stage's NPS (with its margin) and CSAT of the last 90 days in its column's header."""
    if not stage.scores:
        return mark_safe("")
    label = _texts(card_language())[2]
    return mark_safe(f'<div class="wm-scores wm-stage-scores" aria-label="{label}">{_chips(stage.score_chips)}</div>')


def map_scores_as_of_html(journey_map) -> SafeString:
    """Say when the stored scores were computed, under the map's filters (nothing when computed now)."""
    when = getattr(journey_map, "scores_as_of", None)
    if when is None:
        return mark_safe("")
    text = gettext("Feedback scores as of %(when)s") % {"when": when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")}
    return mark_safe(f'<p class="wm-muted wm-small-text wm-as-of" data-testid="scores-as-of">{esc(text)}</p>')
