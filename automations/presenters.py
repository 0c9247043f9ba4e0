"""One sentence per step and trigger, for the builder's list and the detail page."""

from __future__ import annotations

from django.utils.translation import gettext, pgettext_lazy

from .forms import OPS
from .models import Automation, Step

# The API also takes "in" (a list of values), which the builder's form does not offer.
OP_LABELS = {**dict(OPS), "in": pgettext_lazy("trait test", "is one of")}


def _hours(value) -> str:
    try:
        hours = float(value)
    except (TypeError, ValueError):
        return "?"
    if hours >= 48 and hours % 24 == 0:
        return gettext("%(days)s d") % {"days": int(hours // 24)}
    return gettext("%(hours)s h") % {"hours": f"{hours:g}"}


def step_summary(step: Step, names: dict) -> str:
    """Return what the step does, in the reader's language (``names`` resolves ids to names)."""
    cfg = step.config or {}
    kind = step.kind
    if kind == Step.Kind.WAIT:
        return gettext("Wait %(time)s") % {"time": _hours(cfg.get("hours"))}
    if kind == Step.Kind.WAIT_EVENT:
        return gettext("Wait until “%(event)s”, at most %(time)s") % {
            "event": cfg.get("event", ""),
            "time": _hours(cfg.get("timeout_hours") or 72),
        }
    if kind == Step.Kind.WAIT_TIME:
        return gettext("Wait until %(hour)02d:00 in the customer's time zone") % {"hour": int(cfg.get("hour", 9))}
    if kind == Step.Kind.BRANCH:
        c = cfg.get("condition") or {}
        if c.get("kind") == "stage":
            return gettext("If still in “%(stage)s”") % {"stage": names.get(("stage", c.get("stage")), "?")}
        if c.get("kind") == "consent":
            return gettext("If the customer consents to messages")
        value = c.get("value", "")
        return gettext("If trait %(key)s %(op)s %(value)s") % {
            "key": c.get("key", ""),
            "op": OP_LABELS.get(c.get("op", "eq"), c.get("op", "")),
            "value": ", ".join(map(str, value)) if isinstance(value, list) else value,
        }
    if kind in (Step.Kind.EMAIL, Step.Kind.SURVEY):
        templates = cfg.get("templates") or {}
        first = templates.get(cfg.get("default_locale")) or next(iter(templates.values()), {})
        languages = ", ".join(templates) or "—"
        if kind == Step.Kind.SURVEY and cfg.get("via") == "widget":
            return gettext("Make eligible for the survey “%(survey)s” in the widget") % {
                "survey": names.get(("survey", cfg.get("survey")), "?")
            }
        if kind == Step.Kind.SURVEY:
            return gettext("Invite to the survey “%(survey)s” (%(languages)s)") % {
                "survey": names.get(("survey", cfg.get("survey")), "?"),
                "languages": languages,
            }
        return gettext("Email “%(subject)s” (%(languages)s)") % {
            "subject": first.get("subject", ""),
            "languages": languages,
        }
    if kind == Step.Kind.WEBHOOK:
        return gettext("Signed webhook “%(name)s”") % {"name": cfg.get("event_name") or "automation.action"}
    if kind == Step.Kind.TASK:
        return gettext("Task for the owner of “%(touchpoint)s”: %(title)s") % {
            "touchpoint": names.get(("touchpoint", cfg.get("touchpoint")), "?"),
            "title": cfg.get("title", ""),
        }
    if kind == Step.Kind.COHORT:
        return gettext("Add to the cohort “%(cohort)s”") % {"cohort": names.get(("cohort", cfg.get("cohort")), "?")}
    return gettext("Set %(key)s to %(value)s") % {"key": cfg.get("key", ""), "value": cfg.get("value", "")}


def names_for(automation: Automation, steps) -> dict:
    """Names of the stages, touchpoints, surveys and cohorts the steps and trigger refer to (4 queries)."""
    from analytics.models import Cohort
    from feedback.models import Survey
    from journeys.models import Stage, Touchpoint

    ids: dict[str, set] = {"stage": set(), "touchpoint": set(), "survey": set(), "cohort": set()}
    for s in steps:
        cfg = s.config or {}
        for key in ("touchpoint", "survey", "cohort"):
            if cfg.get(key):
                ids[key].add(cfg[key])
        if (cfg.get("condition") or {}).get("stage"):
            ids["stage"].add(cfg["condition"]["stage"])
    for key in ("stage", "touchpoint"):
        for source in (automation.trigger_config or {}, automation.goal_config or {}):
            if source.get(key):
                ids[key].add(source[key])
    names = {}
    for key, model in (("stage", Stage), ("touchpoint", Touchpoint), ("survey", Survey), ("cohort", Cohort)):
        if ids[key]:
            for obj in model.objects.filter(
                pk__in=ids[key], **({"team_id": automation.team_id} if key in ("survey", "cohort") else {})
            ):
                names[(key, obj.pk)] = str(getattr(obj, "name", obj))
    return names


def trigger_summary(automation: Automation, names: dict) -> str:
    cfg = automation.trigger_config or {}
    T = Automation.Trigger
    stage = names.get(("stage", cfg.get("stage")), "?")
    if automation.trigger == T.STAGE_ENTERED:
        return gettext("When a customer enters “%(stage)s”") % {"stage": stage}
    if automation.trigger == T.STAGE_LEFT:
        return gettext("When a customer leaves “%(stage)s”") % {"stage": stage}
    if automation.trigger == T.STAGE_STALLED:
        if cfg.get("after_hours"):
            return gettext("When a customer stays in “%(stage)s” longer than %(time)s") % {
                "stage": stage,
                "time": _hours(cfg["after_hours"]),
            }
        return gettext("When a customer stays in “%(stage)s” longer than its SLA") % {"stage": stage}
    if automation.trigger == T.EVENT_DONE:
        return gettext("When a customer does “%(event)s”") % {"event": cfg.get("event", "")}
    if automation.trigger == T.EVENT_NOT_DONE:
        return gettext("When a customer does “%(event)s” and not “%(then)s” within %(time)s") % {
            "event": cfg.get("event", ""),
            "then": cfg.get("then_event", ""),
            "time": _hours(cfg.get("within_hours")),
        }
    if automation.trigger == T.TRAIT_CHANGED:
        return gettext("When the trait %(trait)s changes") % {"trait": cfg.get("trait", "")}
    if automation.trigger == T.SURVEY_ANSWERED:
        return gettext("When a customer answers a survey with %(score)s or less") % {"score": cfg.get("max_score", 6)}
    return gettext("When a customer reaches “%(touchpoint)s”") % {
        "touchpoint": names.get(("touchpoint", cfg.get("touchpoint")), "?")
    }
