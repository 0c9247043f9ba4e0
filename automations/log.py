"""Automations in the experiment log: each one that has run, with its result against the holdout."""

from __future__ import annotations

from django.template.loader import render_to_string

from . import selectors
from .models import Automation


def automations_in_log(*, team, user) -> str:
    """Return the log's section of the team's automations that have been on (empty when none)."""
    automations = list(
        Automation.objects.for_user(user).filter(team=team, activated_at__isnull=False).order_by("name", "id")[:20]
    )
    if not automations:
        return ""
    rows = [(a, selectors.holdout_result(a)) for a in automations]
    return render_to_string("automations/_log_section.html", {"rows": rows})
