"""A short per-process cache of the public survey definition (the survey row and its questions).

The public endpoints read the survey and its questions on every request; compiling and running
those two SELECTs was a third of a submission's CPU. Each process keeps what it loaded, keyed by
public key, for ``FEEDBACK_SURVEY_CACHE_SECONDS`` (5 s by default; 0 turns the cache off) and
only while a version number kept in the shared cache (Redis in production) is the one it loaded
under. Every save or delete of a survey or a question (model ``save``/``delete`` and the feedback
services' bulk writes) bumps that version, so an edit or a close takes effect on the next request
in every process as long as the shared cache is reachable; when it is not, within the few seconds.
"""

from __future__ import annotations

import logging
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

VERSION_KEY = "feedback:survey-definitions:version"

# public_key -> (loaded at, version, survey, questions)
_local: dict[str, tuple[float, str, object, list]] = {}


def _ttl() -> float:
    return float(getattr(settings, "FEEDBACK_SURVEY_CACHE_SECONDS", 5))


def _bump_now() -> None:
    _local.clear()
    try:
        cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:  # the shared cache is down: the entries expire within the TTL anyway
        logger.warning("survey definitions: could not bump the shared version", exc_info=True)


def bump() -> None:
    """Invalidate every process's cached definitions: now, and again when the transaction commits.

    The second bump keeps a process that reloads between the change and its commit from keeping
    the old rows under the new version.
    """
    _bump_now()
    transaction.on_commit(_bump_now)


def current_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:  # first use, evicted or flushed: start a new version (never reuse None)
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY) or ""
    return version


def survey_definition(public_key: str):
    """Return ``(survey, questions)`` for ``public_key`` (``(None, [])`` when there is none).

    The survey comes with its touchpoint; the objects are shared between the requests of the
    process: read them, never change them.
    """
    from .models import Question, Survey

    ttl = _ttl()
    if ttl <= 0:
        survey = Survey.objects.select_related("touchpoint").filter(public_key=public_key).first()
        return survey, (list(Question.objects.filter(survey_id=survey.pk).order_by("position", "id")) if survey else [])
    try:
        version = current_version()
    except Exception:  # the shared cache is down: fall back on the TTL alone
        version = "unreachable"
    now = time.monotonic()
    entry = _local.get(public_key)
    if entry is not None and entry[1] == version and now - entry[0] < ttl:
        return entry[2], entry[3]
    survey = Survey.objects.select_related("touchpoint").filter(public_key=public_key).first()
    if survey is None:
        _local.pop(public_key, None)
        return None, []
    questions = list(Question.objects.filter(survey_id=survey.pk).order_by("position", "id"))
    if len(_local) > 1000:
        _local.clear()
    _local[public_key] = (now, version, survey, questions)
    return survey, questions
