"""Each action an automation took (or skipped, and why) on the customer's timeline."""

from __future__ import annotations

from django.utils.translation import gettext, pgettext_lazy

from customers.extensions import TimelineItem

from .models import Action, Step

KIND_LABEL = pgettext_lazy("timeline", "Automation")
REASONS = {
    "suppressed": pgettext_lazy("action reason", "unsubscribed or not consenting"),
    "frequency_cap": pgettext_lazy("action reason", "frequency cap reached"),
    "quiet_hours": pgettext_lazy("action reason", "quiet hours"),
    "daily_limit": pgettext_lazy("action reason", "daily send limit reached"),
    "no_email": pgettext_lazy("action reason", "no email address"),
    "merged": pgettext_lazy("action reason", "profile merged"),
    "nothing_to_do": pgettext_lazy("action reason", "nothing to do"),
    "error": pgettext_lazy("action reason", "error"),
}


def reason_text(code: str) -> str:
    return str(REASONS.get(code, code))


def automation_actions(profile, *, identifiers, before, limit) -> list[TimelineItem]:
    """Return the profile's newest actions (the sending kinds; waits and branches are not news)."""
    qs = Action.objects.filter(profile=profile, kind__in=list(Step.ACTIONS)).select_related("automation")
    if before is not None:
        qs = qs.filter(before.q("automation", "created_at"))
    items = []
    for action in qs.order_by("-created_at", "-id")[:limit]:
        title = gettext("%(automation)s: %(step)s (%(status)s)") % {
            "automation": action.automation.name,
            "step": Step.Kind(action.kind).label,
            "status": action.get_status_display(),
        }
        data = {"automation": action.automation_id, "status": action.status, "kind": action.kind}
        if action.reason:
            data["reason"] = reason_text(action.reason)
        items.append(TimelineItem(kind="automation", at=action.created_at, title=title, data=data, id=action.pk))
    return items
