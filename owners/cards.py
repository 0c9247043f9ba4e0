"""The owners' parts of the map page's cards and stage headers (registered in ``OwnersConfig.ready``).

Built as f-strings like the cards themselves (``journeys.cards``): every text value goes through
``esc``, and the fixed words are looked up in the catalog once per language.
"""

from __future__ import annotations

from html import escape as esc

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from journeys.extensions import card_language

_TEXTS: dict[str | None, dict[str, str]] = {}


def _texts() -> dict[str, str]:
    language = card_language()
    texts = _TEXTS.get(language)
    if texts is None:
        t = {
            "no_owner": gettext("No owner"),
            "departed_title": gettext("An owner of this touchpoint has left the team"),
            "departed": gettext("Departed owner"),
            "accountable": gettext("Accountable owner"),
            "owner": gettext("Owner:"),
            "stage_owner": gettext("Stage owner:"),
            "target": gettext("Response target"),
            "target_hours": gettext("Response target in business hours"),
            "sla": gettext("SLA %(target)s"),
            "sla_hours": gettext("SLA %(target)s (work hrs)"),
            "hands_off": gettext("hands off to %(touchpoint)s"),
        }
        texts = _TEXTS[language] = {key: esc(value) for key, value in t.items()}
    return texts


def touchpoint_owner_html(t) -> SafeString:
    """Owner, SLA and hand-offs of one card (``owners.selectors.annotate_map`` sets them)."""
    tx = _texts()
    a = t.accountable
    html = '<div class="wm-owner-line">' + (
        f'<span class="wm-owner" title="{tx["accountable"]}"><span class="wm-avatar wm-avatar-sm" aria-hidden="true">'
        f'{esc(a.initials)}</span><span><span class="visually-hidden">{tx["owner"]} </span>{esc(a.name)}</span></span>'
        if a
        else f'<span class="wm-badge wm-badge-warn">⚠ {tx["no_owner"]}</span>'
    )
    if t.sla_label:
        in_hours = t.sla_in_hours
        label = tx["sla_hours" if in_hours else "sla"] % {"target": esc(t.sla_label)}
        html += f' <span class="wm-badge" title="{tx["target_hours" if in_hours else "target"]}">{label}</span>'
    if t.owner_departed:
        html += f' <span class="wm-badge wm-badge-bad" title="{tx["departed_title"]}">⚑ {tx["departed"]}</span>'
    html += "</div>"
    for h in t.handoffs:
        owner = f" ({esc(h.to_owner_name)})" if h.to_owner_name else ""
        to = tx["hands_off"] % {"touchpoint": f"<strong>{esc(h.to_touchpoint_name)}</strong>"}
        html += f'<p class="wm-handoff"><span aria-hidden="true">→</span> {to}{owner} · {esc(h.target_label)}</p>'
    return SafeString(html)


def stage_owner_html(stage) -> SafeString:
    """The accountable owner of a stage column."""
    a = stage.accountable
    if not a:
        return mark_safe("")
    tx = _texts()
    departed = f' <span class="wm-badge wm-badge-bad">⚑ {tx["departed"]}</span>' if stage.owner_departed else ""
    return mark_safe(
        f'<p class="wm-owner wm-muted"><span class="wm-avatar wm-avatar-sm" aria-hidden="true">{esc(a.initials)}</span>'
        f' <span><span class="visually-hidden">{tx["stage_owner"]} </span>{esc(a.name)}</span>{departed}</p>'
    )
