"""The tracking plan at ingestion speed: each team's active rules, cached per process, and matching.

Rules change a few times a week and are read for every stored event, so a web or worker process
keeps them in memory (``teams.local_cache``); saving or deleting a rule bumps the version and every
process reloads.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from teams import local_cache

from .models import TrackingRule

RULES = "customers.rules"
_cache = local_cache.LocalCache(RULES, ttl=lambda: settings.CUSTOMERS_RULE_CACHE_SECONDS)


@dataclass(frozen=True)
class Rule:
    id: int
    journey_map_id: int
    stage_id: int
    touchpoint_id: int | None
    event_type: str
    event_name: str
    path_pattern: str
    conditions: tuple


def team_rules(team_id: int) -> tuple[Rule, ...]:
    """Return the team's active rules (from this process's cache when current)."""
    return _cache.get(team_id, lambda: _load(team_id))


def _load(team_id: int) -> tuple[Rule, ...]:
    rows = TrackingRule.objects.filter(team_id=team_id, is_active=True).order_by("id")
    return tuple(
        Rule(
            id=row.pk,
            journey_map_id=row.journey_map_id,
            stage_id=row.stage_id,
            touchpoint_id=row.touchpoint_id,
            event_type=row.event_type,
            event_name=row.event_name,
            path_pattern=row.path_pattern,
            conditions=tuple(row.conditions or ()),
        )
        for row in rows
    )


@receiver([post_save, post_delete], sender=TrackingRule, dispatch_uid="customers_rules_changed")
def _rules_changed(sender, **kwargs):
    local_cache.bump(RULES)


@lru_cache(maxsize=1024)
def _pattern(pattern: str) -> re.Pattern:
    return re.compile(fnmatch.translate(pattern), re.IGNORECASE)


def _holds(condition: dict, properties: dict) -> bool:
    name = condition.get("property", "")
    op = condition.get("op", "eq")
    present = name in properties
    value = properties.get(name)
    expected = condition.get("value")
    if op == "exists":
        return present
    if not present:
        return op == "neq"
    if op == "eq":
        return value == expected or str(value) == str(expected)
    if op == "neq":
        return not (value == expected or str(value) == str(expected))
    if op == "in":
        options = expected if isinstance(expected, list) else [expected]
        return value in options or str(value) in {str(option) for option in options}
    if op == "contains":
        return str(expected).lower() in str(value).lower()
    return False


def matches(rule: Rule, *, type_: str, event: str, path: str, url: str, properties: dict) -> bool:
    """Return whether an event (its type, name, page path and URL, properties) meets ``rule``."""
    if rule.event_type != TrackingRule.EventType.ANY and rule.event_type != type_:
        return False
    if rule.event_name and rule.event_name != event:
        return False
    if rule.path_pattern:
        pattern = _pattern(rule.path_pattern)
        if not (pattern.match(path or "") or pattern.match(url or "")):
            return False
    return all(_holds(condition, properties) for condition in rule.conditions if isinstance(condition, dict))


def event_url(context, properties) -> str:
    """Return the page URL an event carries (``context.page.url``, else ``properties.url``); "" when none."""
    page = context.get("page") if isinstance(context, dict) else None
    url = page.get("url", "") if isinstance(page, dict) else ""
    if not url and isinstance(properties, dict) and isinstance(properties.get("url"), str):
        url = properties["url"]
    return url if isinstance(url, str) else ""
