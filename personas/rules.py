"""Trait rules: which persona a customer is, from their traits. Pure: no queries, no Django models needed.

A persona's ``trait_rules`` is a list of conditions, all of which must hold::

    [{"trait": "plan", "op": "eq", "value": "team"}, {"trait": "seats", "op": "gt", "value": 10}]

A persona without conditions matches nobody (it is assigned by hand or not at all). When several
personas match, the lowest ``priority`` wins, then the oldest persona (lowest id), so the answer
never depends on the order rows come from the database.

Comparisons are forgiving where people type values into a form and SDKs send JSON: text compares
without case ("Team" equals "team"), a number equals the text that spells it (50 equals "50"), a
boolean equals "true"/"false". Every operator but ``exists`` needs the trait to be present: a
customer without a ``plan`` is neither "plan equals team" nor "plan not equals team", because
nothing is known about their plan.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

OPERATORS = {
    "eq": gettext_lazy("equals"),
    "neq": gettext_lazy("does not equal"),
    "in": gettext_lazy("is one of"),
    "not_in": gettext_lazy("is none of"),
    "contains": gettext_lazy("contains"),
    "exists": gettext_lazy("is set"),
    "gt": gettext_lazy("is greater than"),
    "lt": gettext_lazy("is less than"),
}
LIST_OPERATORS = ("in", "not_in")
NUMBER_OPERATORS = ("gt", "lt")
MAX_CONDITIONS = 20
MAX_TRAIT_LENGTH = 200
MAX_VALUE_LENGTH = 500
MAX_LIST_ITEMS = 100


class HasRules(Protocol):
    pk: Any
    priority: int
    trait_rules: list


# --- validation -------------------------------------------------------------------------------------


def _scalar_ok(value) -> bool:
    if isinstance(value, bool) or value is None:
        return isinstance(value, bool)
    if isinstance(value, int | float):
        return math.isfinite(value)
    return isinstance(value, str) and 0 < len(value.strip()) <= MAX_VALUE_LENGTH


def clean_condition(raw) -> dict:
    """Return one condition normalised (``trait``, ``op``, ``value``); raise ``ValidationError`` by field.

    The error dict names ``trait``, ``op`` or ``value``, so a form shows it next to its input and
    the API names it inside ``trait_rules``.
    """
    if not isinstance(raw, dict):
        raise ValidationError({"trait": _('A condition is an object: {"trait": …, "op": …, "value": …}.')})
    unknown = set(raw) - {"trait", "op", "value"}
    if unknown:
        raise ValidationError({"trait": _("Unknown keys: %(keys)s.") % {"keys": ", ".join(sorted(map(str, unknown)))}})
    errors: dict[str, str] = {}
    trait = raw.get("trait")
    if not isinstance(trait, str) or not trait.strip():
        errors["trait"] = _("Name the trait, e.g. plan.")
    elif len(trait.strip()) > MAX_TRAIT_LENGTH:
        errors["trait"] = _("A trait name has at most %(n)d characters.") % {"n": MAX_TRAIT_LENGTH}
    op = raw.get("op")
    if op not in OPERATORS:
        errors["op"] = _("Choose one of %(ops)s.") % {"ops": ", ".join(OPERATORS)}
    value = raw.get("value")
    if op in OPERATORS and "value" not in errors:
        if op == "exists":
            value = None
        elif op in LIST_OPERATORS:
            if isinstance(value, str):  # "free, team" from a form or a hand-written call
                value = [part.strip() for part in value.split(",") if part.strip()]
            if not isinstance(value, list) or not value or len(value) > MAX_LIST_ITEMS:
                errors["value"] = _("Give a list of 1 to %(n)d values, e.g. free, team.") % {"n": MAX_LIST_ITEMS}
            elif not all(_scalar_ok(item) for item in value):
                errors["value"] = _("Each value is a text, a number or true/false.")
        elif op in NUMBER_OPERATORS:
            number = _number(value)
            if number is None:
                errors["value"] = _("Give a number, e.g. 10.")
            else:
                value = int(number) if number.is_integer() and abs(number) < 2**53 else number
        elif not _scalar_ok(value):
            errors["value"] = _("Give a value: a text, a number or true/false.")
    if errors:
        raise ValidationError(errors)
    if isinstance(value, str):
        value = value.strip()
    condition = {"trait": trait.strip(), "op": op}
    if op != "exists":
        condition["value"] = value
    return condition


def clean_rules(raw) -> list[dict]:
    """Return the conditions normalised; raise ``ValidationError`` with one message per bad condition."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise ValidationError(_("Give a list of conditions."))
    if len(raw) > MAX_CONDITIONS:
        raise ValidationError(_("A persona has at most %(n)d conditions.") % {"n": MAX_CONDITIONS})
    cleaned, messages = [], []
    for index, item in enumerate(raw, start=1):
        try:
            cleaned.append(clean_condition(item))
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    messages.append(
                        _("Condition %(n)d, %(field)s: %(error)s") % {"n": index, "field": field, "error": error}
                    )
    if messages:
        raise ValidationError(messages)
    return cleaned


# --- evaluation -------------------------------------------------------------------------------------

_MISSING = object()


def _number(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip().casefold()


def _equal(actual, expected) -> bool:
    if actual == expected and type(actual) is type(expected):
        return True
    a, b = _number(actual), _number(expected)
    if a is not None and b is not None:
        return a == b
    return _text(actual) == _text(expected)


def _lookup(traits: dict, key: str):
    """Return ``traits[key]``, or the nested value of a dotted key (``address.city``), or ``_MISSING``."""
    if key in traits:
        return traits[key]
    value: Any = traits
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def holds(condition: dict, traits: dict) -> bool:
    """Return whether one (clean) condition holds on ``traits``."""
    actual = _lookup(traits, condition["trait"])
    op = condition["op"]
    if actual is _MISSING or actual is None:
        return False
    if op == "exists":
        return actual != "" and actual != [] and actual != {}
    expected = condition.get("value")
    if op == "eq":
        return _equal(actual, expected)
    if op == "neq":
        return not _equal(actual, expected)
    if op in LIST_OPERATORS:
        found = any(_equal(actual, option) for option in expected)
        return found if op == "in" else not found
    if op == "contains":
        if isinstance(actual, list):
            return any(_equal(item, expected) for item in actual)
        return _text(expected) in _text(actual)
    if op in NUMBER_OPERATORS:
        a, b = _number(actual), _number(expected)
        if a is None or b is None:
            return False
        return a > b if op == "gt" else a < b
    return False


def matches(rules: Sequence[dict], traits: dict) -> bool:
    """Return whether every condition holds; no conditions match nobody."""
    return bool(rules) and all(holds(condition, traits) for condition in rules)


def ordered(personas: Iterable[HasRules]) -> list:
    """Return the personas that have rules, in the order they are tried (priority, then id)."""
    return sorted((p for p in personas if p.trait_rules), key=lambda p: (p.priority, p.pk))


def persona_for(traits: dict, personas: Iterable[HasRules], *, presorted: bool = False):
    """Return the persona whose rules ``traits`` meet, the lowest priority first; None when none does.

    ``presorted``: ``personas`` already come from ``ordered`` (a batch sorts once, not per profile).
    """
    if not traits:
        return None
    for persona in personas if presorted else ordered(personas):
        if matches(persona.trait_rules, traits):
            return persona
    return None
