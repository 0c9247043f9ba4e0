"""Conditions on a customer (an automation's entry conditions, a branch's test), evaluated in Python
on facts loaded set-wise for a whole batch (``Facts``), so a batch costs a fixed number of queries.

A condition is a dict:
- ``{"kind": "trait", "key": "plan", "op": "eq"|"neq"|"in"|"contains"|"exists"|"gt"|"lt", "value": …}``
- ``{"kind": "persona", "persona": id}``
- ``{"kind": "cohort", "cohort": id}`` (a static cohort's members, or a rule cohort's profiles)
- ``{"kind": "channel", "channel": "web"|"server"|"mobile"|…}`` (the source of the triggering event)
- ``{"kind": "consent"}`` (not unsubscribed, not denied marketing consent)
- ``{"kind": "stage", "stage": id}`` (is in this stage of the automation's map now)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

KINDS = ("trait", "persona", "cohort", "channel", "consent", "stage")
OPS = ("eq", "neq", "in", "contains", "exists", "gt", "lt")
# Traits that say a customer does not want messages (any of them true, or the consent trait false).
OPT_OUT_TRAITS = ("unsubscribed", "do_not_contact")
CONSENT_TRAITS = ("marketing_consent", "email_consent")


@dataclass
class Facts:
    """What the conditions of one batch may ask about its profiles."""

    traits: dict[int, dict] = field(default_factory=dict)
    personas: dict[int, int | None] = field(default_factory=dict)
    cohorts: dict[int, set[int]] = field(default_factory=dict)  # cohort id → profile ids
    stages: dict[int, set[int]] = field(default_factory=dict)  # profile id → the stages it stands in now
    suppressed: set[int] = field(default_factory=set)


def opted_out(traits: dict) -> bool:
    """Return whether the traits say the customer does not want messages."""
    if any(traits.get(key) in (True, "true", "yes", 1) for key in OPT_OUT_TRAITS):
        return True
    return any(key in traits and traits[key] in (False, "false", "no", 0) for key in CONSENT_TRAITS)


def _compare(actual, op: str, expected) -> bool:
    if op == "exists":
        return actual is not None
    if op == "eq":
        return actual == expected or (actual is not None and str(actual) == str(expected))
    if op == "neq":
        return not _compare(actual, "eq", expected)
    if op == "in":
        return isinstance(expected, list) and any(_compare(actual, "eq", item) for item in expected)
    if op == "contains":
        return actual is not None and str(expected).lower() in str(actual).lower()
    if op in ("gt", "lt"):
        try:
            a, b = float(actual), float(expected)
        except (TypeError, ValueError):
            return False
        return a > b if op == "gt" else a < b
    return False


def holds(condition: dict, profile_id: int, facts: Facts, context: dict | None = None) -> bool:
    """Return whether ``condition`` holds for the profile."""
    kind = condition.get("kind")
    if kind == "trait":
        traits = facts.traits.get(profile_id, {})
        return _compare(traits.get(condition.get("key", "")), condition.get("op", "eq"), condition.get("value"))
    if kind == "persona":
        return facts.personas.get(profile_id) == condition.get("persona")
    if kind == "cohort":
        return profile_id in facts.cohorts.get(condition.get("cohort"), set())
    if kind == "channel":
        return (context or {}).get("channel") == condition.get("channel")
    if kind == "consent":
        return profile_id not in facts.suppressed and not opted_out(facts.traits.get(profile_id, {}))
    if kind == "stage":
        return condition.get("stage") in facts.stages.get(profile_id, ())
    return False


def all_hold(conditions: list, profile_id: int, facts: Facts, context: dict | None = None) -> bool:
    return all(holds(c, profile_id, facts, context) for c in conditions or [])


def validate(conditions, *, field_name: str = "conditions") -> list[dict]:
    """Return the conditions cleaned, or raise ``ValidationError`` naming ``field_name``."""
    if conditions in (None, ""):
        return []
    if isinstance(conditions, dict):
        conditions = [conditions]
    if not isinstance(conditions, list):
        raise ValidationError({field_name: _("Give a list of conditions.")})
    cleaned = []
    for condition in conditions:
        if not isinstance(condition, dict) or condition.get("kind") not in KINDS:
            raise ValidationError(
                {field_name: _("Each condition needs a kind: %(kinds)s.") % {"kinds": ", ".join(KINDS)}}
            )
        kind = condition["kind"]
        if kind == "trait":
            if not isinstance(condition.get("key"), str) or not condition["key"].strip():
                raise ValidationError({field_name: _("A trait condition needs the trait's key.")})
            if condition.get("op", "eq") not in OPS:
                raise ValidationError(
                    {field_name: _("Unknown operator; use one of %(ops)s.") % {"ops": ", ".join(OPS)}}
                )
        for key in ("persona", "cohort", "stage"):
            value = condition.get(key)
            if kind == key and not (isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63):
                raise ValidationError({field_name: _("A %(kind)s condition needs an id.") % {"kind": key}})
        cleaned.append(condition)
    return cleaned


def needs(conditions: list) -> set[str]:
    """Return the kinds of facts the conditions read."""
    return {c.get("kind") for c in conditions or [] if isinstance(c, dict)}
