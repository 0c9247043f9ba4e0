"""Per-process caches of what the public endpoints read on every request: a survey's definition
(the survey row and its questions), a team's themes, and where a touchpoint's follow-ups go (its
accountable owner and the terms of its SLA).

Compiling and running those SELECTs was most of a submission's CPU. Each process keeps what it
loaded (``teams.local_cache``) for ``FEEDBACK_SURVEY_CACHE_SECONDS`` at most (5 s by default; 0
turns the caches off), and only while the shared version of its name is the one it loaded under.
Every save or delete of a survey, a question or a theme, and of an ownership, an SLA, a
touchpoint or a team (model signals, in ``feedback.models``), bumps that version, so an edit or a
close takes effect on the next request in every process as long as the shared cache is
reachable; when it is not, within the few seconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q

from owners.sla import SlaTerms, touchpoint_sla_terms
from teams import local_cache

DEFINITIONS = "feedback.survey-definitions"
THEMES = "feedback.themes"
ROUTING = "feedback.followup-routing"


def _ttl() -> float:
    return float(getattr(settings, "FEEDBACK_SURVEY_CACHE_SECONDS", 5))


_definitions = local_cache.LocalCache(DEFINITIONS, ttl=_ttl)
_localized = local_cache.LocalCache(DEFINITIONS, ttl=_ttl)
_themes = local_cache.LocalCache(THEMES, ttl=_ttl)
_routing = local_cache.LocalCache(ROUTING, ttl=_ttl)


def bump() -> None:
    """Invalidate every process's cached survey definitions (now, and again on commit)."""
    local_cache.bump(DEFINITIONS)


def themes_changed() -> None:
    """Invalidate every process's cached themes (now, and again on commit)."""
    local_cache.bump(THEMES)


def routing_changed() -> None:
    """Invalidate every process's cached follow-up routing (now, and again on commit)."""
    local_cache.bump(ROUTING)


def _load_definition(public_key: str):
    from .models import Question, Survey

    survey = Survey.objects.select_related("touchpoint").filter(public_key=public_key).first()
    if survey is None:
        return None, []
    return survey, list(Question.objects.filter(survey_id=survey.pk).order_by("position", "id"))


def survey_definition(public_key: str):
    """Return ``(survey, questions)`` for ``public_key`` (``(None, [])`` when there is none).

    The survey comes with its touchpoint; the objects are shared between the requests of the
    process: read them, never change them.
    """
    return _definitions.get(public_key, lambda: _load_definition(public_key))


def localized_definition(public_key: str, locale: str, build):
    """Return the survey's definition as the widget gets it in ``locale``, calling ``build()``
    once per survey and language (and again after any change to a survey or a question)."""
    return _localized.get((public_key, locale), build)


def keyword_pattern(keyword: str) -> re.Pattern:
    """Whole words for Latin scripts; a plain substring for scripts written without spaces (zh)."""
    if keyword.isascii():
        return re.compile(rf"(?<!\w){re.escape(keyword)}")
    return re.compile(re.escape(keyword))


def _load_themes(team_id: int) -> tuple[tuple[int, tuple[re.Pattern, ...]], ...]:
    from .models import Theme

    rows = Theme.objects.filter(team_id=team_id).only("id", "keywords").order_by("pk")
    return tuple(
        (theme.pk, tuple(keyword_pattern(k) for k in theme.keyword_list)) for theme in rows if theme.keyword_list
    )


def team_themes(team_id: int) -> tuple[tuple[int, tuple[re.Pattern, ...]], ...]:
    """Return the team's themes that have keywords, as ``(theme id, compiled keywords)``."""
    return _themes.get(team_id, lambda: _load_themes(team_id))


@dataclass(frozen=True)
class Routing:
    """Where a low score at a touchpoint goes: its accountable owner and its SLA's terms."""

    owner_id: int | None
    sla: SlaTerms | None


def _accountable_owner_id(touchpoint_id: int) -> int | None:
    """Return the touchpoint's accountable owner, else its stage's, in one query."""
    from owners.models import Ownership

    rows = list(
        Ownership.objects.filter(role=Ownership.Role.ACCOUNTABLE)
        .filter(Q(touchpoint_id=touchpoint_id) | Q(stage__touchpoints__id=touchpoint_id))
        .values_list("user_id", "touchpoint_id")
    )
    rows.sort(key=lambda row: row[1] is None)  # the touchpoint's own owner first
    return rows[0][0] if rows else None


def followup_routing(touchpoint_id: int | None) -> Routing:
    """Return where the touchpoint's follow-ups go (no query while cached)."""
    if touchpoint_id is None:
        return Routing(owner_id=None, sla=None)
    return _routing.get(
        touchpoint_id,
        lambda: Routing(owner_id=_accountable_owner_id(touchpoint_id), sla=touchpoint_sla_terms(touchpoint_id)),
    )
