"""The touchpoint cards of the map page, built in Python rather than by the template engine.

A 12 × 15 map draws 180 cards. Through the template engine each card cost about 200 µs: some
40 variable lookups, three ``{% include %}`` of other apps' parts and four move buttons, which
made the cards two thirds of the page's render. ``format_html`` was barely cheaper (130 µs a
card): Django's ``escape`` checks every argument for lazy strings, about 70 times a card. So a
card is an f-string in which **every text value goes through** ``esc`` (the standard library's
``html.escape``, which is what Django's ``escape`` calls); numbers and the fixed markup here are
the only values that don't. About 14 µs a card (docs/performance.md, benchmark 3);
``tests/journeys/test_cards.py`` puts markup in every field a card shows and checks it comes out
escaped.

Other apps add to each card and stage header through ``journeys.extensions``
(``register_map_annotator(fn, touchpoint_html=..., stage_html=...)``); the owners' parts are
here, since owners belong to journeys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from html import escape as esc

from django.utils.safestring import SafeString, mark_safe

from .extensions import stage_renderers, touchpoint_renderers

MOVES = (
    # (direction, what the button says after "Move <name>", its tooltip, its arrow)
    ("up", " up", "Move up", "↑"),
    ("down", " down", "Move down", "↓"),
    ("left", " to the previous stage", "Move to the previous stage", "←"),
    ("right", " to the next stage", "Move to the next stage", "→"),
)
NO_METRIC = '<br><span class="wm-warn-text"><span aria-hidden="true">!</span> No metric yet</span>'
FIXING = ' <span class="wm-muted">(fixing)</span>'
DRAG = '<span class="wm-drag" aria-hidden="true" title="Drag to move">⠿</span>'


def touchpoint_card(
    touchpoint, *, can_edit: bool, compact: bool, revision: int, parts: Iterable[Callable]
) -> SafeString:
    """Return one card. ``touchpoint`` carries what ``journeys.views._prepare_board`` and the
    annotators set (URLs, labels, ``open_pain_points``, owners, scores...); ``parts`` are the
    registered ``touchpoint_html`` renderers."""
    t = touchpoint
    name = esc(t.name)
    html = (
        f'<article class="wm-tp{" wm-tp-moment" if t.is_moment else ""}" id="tp-{t.pk}" data-touchpoint="{t.pk}"'
        f' data-move-url="{esc(t.move_url)}">'
        f'<h3 class="wm-tp-title"><button type="button" class="wm-tp-open" hx-get="{esc(t.edit_url)}"'
        f' hx-target="#panel" aria-label="{name}: open details{" and edit" if can_edit else ""}">{name}</button></h3>'
        f'<p class="wm-tp-meta"><span class="wm-chip">{esc(t.channel_label)}</span>'
        f' <span class="wm-emotion wm-emotion-{esc(t.emotion_tone)}" title="Emotion {esc(t.emotion_signed)}">'
        f"{esc(t.emotion_label_text)} {esc(t.emotion_signed)}</span></p>"
    )
    if t.is_moment:
        html += _moment(t)
    if t.open_pain_points:
        html += _pains(t.open_pain_points)
    for part in parts:
        html += part(t)
    if can_edit and not compact:
        html += _moves(t, name, revision)
    return mark_safe(html + "</article>")


def _moment(t) -> str:
    kind = f": {esc(t.get_moment_kind_display().lower())}" if t.moment_kind else ""
    metric = f'<br><span class="wm-muted">Metric: {esc(t.metric_name)}</span>' if t.metric_name else NO_METRIC
    return f'<p class="wm-moment"><span aria-hidden="true">★</span> Moment that matters{kind}{metric}</p>'


def _pains(pains: list) -> str:
    items = "".join(
        f'<li><span class="wm-sev wm-sev-{p.severity:d}" title="Severity {p.severity:d} of 5">S{p.severity:d}</span>'
        f" {esc(p.title)}{FIXING if p.status == 'fixing' else ''}</li>"
        for p in pains
    )
    return f'<ul class="wm-pains" aria-label="Open pain points, worst first">{items}</ul>'


def _moves(t, name: str, revision: int) -> str:
    url = esc(t.move_url)
    buttons = "".join(
        f'<button type="button" class="wm-icon-btn" hx-post="{url}"'
        f""" hx-vals='{{"direction": "{direction}", "revision": "{revision:d}"}}'"""
        ' hx-target="#panel"'
        f' aria-label="Move {name}{says}" title="{title}"><span aria-hidden="true">{arrow}</span></button>'
        for direction, says, title, arrow in MOVES
    )
    return f'<div class="wm-move" role="group" aria-label="Move {name}">{buttons}{DRAG}</div>'


def set_stage_parts(stages: Iterable) -> None:
    """Set ``parts`` on each stage: what the registered ``stage_html`` renderers add to its header."""
    renderers = stage_renderers()
    for s in stages:
        s.parts = mark_safe("".join(part(s) for part in renderers))


def set_cards(touchpoints: Iterable, *, can_edit: bool, compact: bool, revision: int) -> None:
    """Set ``card`` (its HTML) on each touchpoint."""
    parts = touchpoint_renderers()
    for t in touchpoints:
        t.card = touchpoint_card(t, can_edit=can_edit, compact=compact, revision=revision, parts=parts)


# --- the owners' parts (registered with the owners' annotator) -------------------------------

NO_OWNER = '<span class="wm-badge wm-badge-warn">⚠ No owner</span>'
DEPARTED = (
    ' <span class="wm-badge wm-badge-bad" title="An owner of this touchpoint has left the team">⚑ Departed owner</span>'
)


def touchpoint_owner_html(t) -> SafeString:
    """Owner, SLA and hand-offs of one card (``journeys.owner_selectors.annotate_map`` sets them)."""
    a = t.accountable
    html = '<div class="wm-owner-line">' + (
        '<span class="wm-owner" title="Accountable owner"><span class="wm-avatar wm-avatar-sm" aria-hidden="true">'
        f'{esc(a.initials)}</span><span><span class="visually-hidden">Owner: </span>{esc(a.name)}</span></span>'
        if a
        else NO_OWNER
    )
    if t.sla_label:
        in_hours = t.sla_target.business_hours
        html += (
            f' <span class="wm-badge" title="Response target{" in business hours" if in_hours else ""}">'
            f"SLA {esc(t.sla_label)}{' (work hrs)' if in_hours else ''}</span>"
        )
    if t.owner_departed:
        html += DEPARTED
    html += "</div>"
    for h in t.handoffs:
        owner = f" ({esc(h.to_owner_name)})" if h.to_owner_name else ""
        html += (
            f'<p class="wm-handoff"><span aria-hidden="true">→</span> hands off to'
            f" <strong>{esc(h.to_touchpoint.name)}</strong>{owner} · {esc(h.target_label)}</p>"
        )
    return mark_safe(html)


def stage_owner_html(stage) -> SafeString:
    """The accountable owner of a stage column."""
    a = stage.accountable
    if not a:
        return mark_safe("")
    departed = ' <span class="wm-badge wm-badge-bad">⚑ Departed owner</span>' if stage.owner_departed else ""
    return mark_safe(
        f'<p class="wm-owner wm-muted"><span class="wm-avatar wm-avatar-sm" aria-hidden="true">{esc(a.initials)}</span>'
        f' <span><span class="visually-hidden">Stage owner: </span>{esc(a.name)}</span>{departed}</p>'
    )
