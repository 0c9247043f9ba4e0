"""The touchpoint cards of the map page, built in Python rather than by the template engine.

A large map draws hundreds of cards, and the template engine (variable lookups, other apps'
includes, Django's ``escape`` checking every argument for lazy strings) made them most of the
page's render (docs/performance.md, the map page). So a card is an f-string in which **every
text value goes through** ``esc`` (the standard library's ``html.escape``, which is what Django's
``escape`` calls); numbers and the fixed markup here are the only values that don't. The card's
own words are looked up in the catalog once per language (``_texts``), not once per card;
``tests/journeys/test_cards.py`` puts markup in every field a card shows and checks it comes out
escaped.

Other apps add to each card and stage header through ``journeys.extensions``
(``register_map_annotator(fn, touchpoint_html=..., stage_html=...)``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from html import escape as esc

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext, pgettext

from .extensions import card_language, map_renderers, stage_renderers, touchpoint_renderers
from .models import MomentKind

# The few words every card repeats (its channel, emotion, sign and tone), escaped once per process.
esc_word = lru_cache(maxsize=1024)(esc)

# The card's fixed words, escaped, per language: built once, since a board draws hundreds of cards.
_TEXTS: dict[str | None, dict[str, str]] = {}


def _build_texts() -> dict[str, str]:
    t = {
        "open": gettext("%(name)s: open details"),
        "open_edit": gettext("%(name)s: open details and edit"),
        "emotion": gettext("Emotion %(score)s"),
        "moment": gettext("Moment that matters"),
        "moment_kind": gettext("Moment that matters: %(kind)s"),
        "metric": gettext("Metric: %(metric)s"),
        "no_metric": gettext("No metric yet"),
        "severity": gettext("Severity %(n)s of 5"),
        "sev": pgettext("severity", "S%(n)s"),
        "fixing": gettext("(fixing)"),
        "pains": gettext("Open pain points, worst first"),
        "move": gettext("Move %(name)s"),
        "drag": gettext("Drag to move"),
        "rename": gettext("Rename %(name)s here"),
        "rename_title": gettext("Rename here (F2)"),
        "rename_icon": pgettext("rename icon", "Aa"),
        "change_emotion": gettext("Emotion of %(name)s: %(emotion)s %(score)s. Change it"),
    }
    moves = (
        # (direction, the button's label, its tooltip, its arrow)
        ("up", gettext("Move %(name)s up"), gettext("Move up"), "↑"),
        ("down", gettext("Move %(name)s down"), gettext("Move down"), "↓"),
        ("left", gettext("Move %(name)s to the previous stage"), gettext("Move to the previous stage"), "←"),
        ("right", gettext("Move %(name)s to the next stage"), gettext("Move to the next stage"), "→"),
    )
    texts = {key: esc(value) for key, value in t.items()}
    texts["moves"] = tuple((d, esc(says), esc(title), arrow) for d, says, title, arrow in moves)
    # What get_moment_kind_display() gives, lowered and escaped: that call rebuilds the choices'
    # dict and translates its label for every moment.
    texts["kinds"] = {value: esc(str(label).lower()) for value, label in MomentKind.choices}
    return texts


def _texts() -> dict:
    language = card_language()
    texts = _TEXTS.get(language)
    if texts is None:
        texts = _TEXTS[language] = _build_texts()
    return texts


def touchpoint_card(
    touchpoint, *, can_edit: bool, compact: bool, revision: int, parts: Iterable[Callable], present: bool = False
) -> SafeString:
    """Return one card. ``touchpoint`` carries what ``journeys.views._prepare_board`` and the
    annotators set (URLs, labels, ``open_pain_points``, owners, scores...); ``parts`` are the
    registered ``touchpoint_html`` renderers. ``present``: the name as text, not a button that
    opens the panel (presentation mode has no panel)."""
    t = touchpoint
    tx = _texts()
    name = esc(t.name)
    signed = esc_word(t.emotion_signed)
    if present:
        title = name
    else:
        opens = tx["open_edit" if can_edit else "open"] % {"name": name}
        title = (
            f'<button type="button" class="wm-tp-open" hx-get="{esc(t.edit_url)}"'
            f' hx-target="#panel" aria-label="{opens}">{name}</button>'
        )
    inline = can_edit and not present
    emotion_class = f"wm-emotion wm-emotion-{esc_word(t.emotion_tone)}"
    if inline:
        # Editing in place (static/waymark/board-edit.js): the emotion is a button that opens a picker.
        says = tx["change_emotion"] % {"name": name, "emotion": esc_word(t.emotion_label_text), "score": signed}
        emotion = (
            f'<button type="button" class="{emotion_class} wm-emotion-edit" data-inline-emotion aria-label="{says}"'
            f' title="{tx["emotion"] % {"score": signed}}">{esc_word(t.emotion_label_text)} {signed}</button>'
        )
        editing = f' data-inline-url="{esc(t.inline_url)}" data-emotion="{esc_word(t.emotion_label)}"'
    else:
        emotion = (
            f'<span class="{emotion_class}" title="{tx["emotion"] % {"score": signed}}">'
            f"{esc_word(t.emotion_label_text)} {signed}</span>"
        )
        editing = ""
    html = (
        f'<article class="wm-tp{" wm-tp-moment" if t.is_moment else ""}" id="tp-{t.pk}" data-touchpoint="{t.pk}"'
        f' data-move-url="{esc(t.move_url)}"{editing}>'
        f'<h3 class="wm-tp-title">{title}</h3>'
        f'<p class="wm-tp-meta"><span class="wm-chip">{esc_word(t.channel_label)}</span> {emotion}</p>'
    )
    if t.is_moment:
        html += _moment(t, tx)
    if t.open_pain_points:
        html += _pains(t.open_pain_points, tx)
    for part in parts:
        html += part(t)
    if can_edit and not compact:
        html += _moves(t, name, revision, tx)
    return SafeString(html + "</article>")


def _moment(t, tx: dict) -> str:
    kind = (tx["kinds"].get(t.moment_kind) or esc(t.get_moment_kind_display().lower())) if t.moment_kind else ""
    title = tx["moment_kind"] % {"kind": kind} if kind else tx["moment"]
    if t.metric_name:
        metric = f'<br><span class="wm-muted">{tx["metric"] % {"metric": esc(t.metric_name)}}</span>'
    else:
        metric = f'<br><span class="wm-warn-text"><span aria-hidden="true">!</span> {tx["no_metric"]}</span>'
    return f'<p class="wm-moment"><span aria-hidden="true">★</span> {title}{metric}</p>'


def _pains(pains: list, tx: dict) -> str:
    fixing = f' <span class="wm-muted">{tx["fixing"]}</span>'
    items = "".join(
        f'<li><span class="wm-sev wm-sev-{p.severity:d}" title="{tx["severity"] % {"n": p.severity}}">'
        f"{tx['sev'] % {'n': p.severity}}</span>"
        f" {esc(p.title)}{fixing if p.status == 'fixing' else ''}</li>"
        for p in pains
    )
    return f'<ul class="wm-pains" aria-label="{tx["pains"]}">{items}</ul>'


def _moves(t, name: str, revision: int, tx: dict) -> str:
    url = esc(t.move_url)
    buttons = "".join(
        f'<button type="button" class="wm-icon-btn" hx-post="{url}"'
        f""" hx-vals='{{"direction": "{direction}", "revision": "{revision:d}"}}'"""
        ' hx-target="#panel"'
        f' aria-label="{says % {"name": name}}" title="{title}"><span aria-hidden="true">{arrow}</span></button>'
        for direction, says, title, arrow in tx["moves"]
    )
    rename = (
        f'<button type="button" class="wm-icon-btn" data-inline-rename aria-label="{tx["rename"] % {"name": name}}"'
        f' title="{tx["rename_title"]}"><span aria-hidden="true">{tx["rename_icon"]}</span></button>'
    )
    drag = f'<span class="wm-drag" aria-hidden="true" title="{tx["drag"]}">⠿</span>'
    return f'<div class="wm-move" role="group" aria-label="{tx["move"] % {"name": name}}">{buttons}{rename}{drag}</div>'


def set_stage_parts(stages: Iterable) -> None:
    """Set ``parts`` on each stage: what the registered ``stage_html`` renderers add to its header."""
    renderers = stage_renderers()
    for s in stages:
        s.parts = mark_safe("".join(part(s) for part in renderers))


def map_notes_html(journey_map) -> SafeString:
    """Return what the registered ``map_html`` renderers say about the whole board."""
    return mark_safe("".join(part(journey_map) for part in map_renderers()))


def set_cards(
    touchpoints: Iterable, stages: Iterable, *, can_edit: bool, compact: bool, revision: int, present: bool = False
) -> None:
    """Set ``card`` (its HTML) on each touchpoint and ``cards_html`` (its cards' HTML, in order) on each
    stage: the page puts one value per stage, not one per card, through the template engine."""
    parts = touchpoint_renderers()
    for t in touchpoints:
        t.card = touchpoint_card(t, can_edit=can_edit, compact=compact, revision=revision, parts=parts, present=present)
    for s in stages:
        s.cards_html = mark_safe("".join(t.card for t in s.cards))


_STAGE_TEXTS: dict[str | None, dict[str, str]] = {}


def _stage_texts() -> dict[str, str]:
    """The stage column's fixed words in the active language: those the template's ``{% translate %}``
    escaped come escaped; those of its ``{% blocktranslate %}`` do not (it escapes only the name)."""
    language = card_language()
    texts = _STAGE_TEXTS.get(language)
    if texts is None:
        texts = _STAGE_TEXTS[language] = {
            "stage": gettext("Stage %(name)s"),
            "left": gettext("Move stage %(name)s left"),
            "right": gettext("Move stage %(name)s right"),
            "edit": gettext("Edit stage %(name)s"),
            "rename": gettext("Rename stage %(name)s here"),
            "rename_title": esc(gettext("Rename here (F2)")),
            "rename_icon": esc(pgettext("rename icon", "Aa")),
            "add": esc(gettext("Add touchpoint")),
            "filtered": esc(gettext("Nothing here matches the filters.")),
            "empty": esc(gettext("No touchpoints yet.")),
        }
    return texts


def stage_column_html(
    stage, *, can_edit: bool, present: bool, first: bool, last: bool, filtered: bool, revision: int
) -> SafeString:
    """Return one stage's column of the board (the columns layout), as the template wrote it, byte
    for byte: a 12 × 15 map's twelve columns were half of what the template still rendered
    (``stage.parts`` and ``stage.cards_html`` come ready, from ``set_stage_parts`` and ``set_cards``)."""
    tx = _stage_texts()
    pk = int(stage.pk)
    name = esc(stage.name)
    if present:
        label = tx["stage"] % {"name": name}
        html = f'<section class="wm-stage" role="listitem" tabindex="0" aria-label="{label}" data-stage="{pk}"'
    else:
        html = f'<section class="wm-stage" role="listitem" aria-labelledby="stage-{pk}-title" data-stage="{pk}"'
    if can_edit:
        move = esc(stage.move_url)
        html += f' id="stage-{pk}" data-move-url="{move}" data-inline-url="{esc(stage.inline_url)}"'
    n = len(stage.cards)
    count = ngettext("%(n)s touchpoint", "%(n)s touchpoints", n) % {"n": n}
    html += (
        '>\n      <header class="wm-stage-head">\n        <div class="wm-stage-title">\n'
        f'          <h2 id="stage-{pk}-title">{name}</h2>\n'
        f'          <span class="wm-count" aria-label="{count}">{n}</span>\n'
        f"        </div>\n        {stage.parts}\n        "
    )
    if can_edit:
        button = '<button type="button" class="wm-icon-btn"'
        vals = 'hx-vals=\'{{"direction": "{}", "revision": "' + str(int(revision)) + "\"}}'"
        html += (
            f'\n        <div class="wm-stage-tools" role="group" aria-label="{tx["stage"] % {"name": name}}">\n'
            f'          {button} hx-post="{move}" {vals.format("left")} hx-target="#panel"'
            f' aria-label="{tx["left"] % {"name": name}}" {"disabled" if first else ""}>'
            '<span aria-hidden="true">←</span></button>\n'
            f'          {button} hx-post="{move}" {vals.format("right")} hx-target="#panel"'
            f' aria-label="{tx["right"] % {"name": name}}" {"disabled" if last else ""}>'
            '<span aria-hidden="true">→</span></button>\n'
            f'          {button} hx-get="{esc(stage.edit_url)}" hx-target="#panel"'
            f' aria-label="{tx["edit"] % {"name": name}}"><span aria-hidden="true">✎</span></button>\n'
            f'          {button} data-inline-rename aria-label="{tx["rename"] % {"name": name}}"'
            f' title="{tx["rename_title"]}"><span aria-hidden="true">{tx["rename_icon"]}</span></button>\n'
            "        </div>\n        "
        )
    if stage.cards:
        cards = stage.cards_html
    else:
        cards = f'<p class="wm-empty-col">{tx["filtered" if filtered else "empty"]}</p>'
    html += (
        f'\n      </header>\n      <div class="wm-stage-cards" data-stage="{pk}">\n        \n        {cards}\n'
        "      </div>\n      "
    )
    if can_edit:
        html += (
            f'<button type="button" class="wm-add-tp secondary outline" hx-get="{esc(stage.add_touchpoint_url)}"'
            f' hx-target="#panel">+ {tx["add"]}</button>'
        )
    return mark_safe(html + "\n    </section>")


def set_stage_columns(stages: list, *, can_edit: bool, present: bool, filtered: bool, revision: int) -> None:
    """Set ``column_html`` on each stage (``stage_column_html``), after its parts and cards are set."""
    last = len(stages) - 1
    for i, s in enumerate(stages):
        s.column_html = stage_column_html(
            s, can_edit=can_edit, present=present, first=i == 0, last=i == last, filtered=filtered, revision=revision
        )


def curve_items_html(touchpoints: Iterable) -> SafeString:
    """Return the emotion curve's values as list items ("Stage · Touchpoint: +1 (curious)")."""
    return mark_safe(
        "".join(
            f"<li>{esc(t.stage.name)} · {esc(t.name)}: {esc_word(t.emotion_signed)}"
            f" ({esc_word(t.emotion_label_text)})</li>"
            for t in touchpoints
        )
    )
