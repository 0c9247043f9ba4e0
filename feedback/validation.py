"""Validation of what a respondent sends: top-level fields and each answer against its question.

Used by the public endpoint, the hosted page and the email links alike, so every way to answer
refuses the same bad input with the same field-named messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .models import Question, Survey

SUBMISSION_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
MAX_TEXT_ANSWER = 4000
MAX_CHOICES = 50


class Channel:
    WIDGET = "widget"
    LINK = "link"
    EMAIL = "email"
    API = "api"
    APP = "app"
    ALL = ("widget", "link", "email", "api", "app")


@dataclass
class Submission:
    """A validated post: the answers it carries and who sent it."""

    submission_id: str
    answers: dict
    finished: bool = False
    locale: str = ""
    respondent_id: str = ""
    channel: str = Channel.API
    page_url: str = ""
    user_agent: str = ""
    errors: dict = field(default_factory=dict)


class SubmissionInvalid(Exception):
    """The post is malformed; ``errors`` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


class SurveyClosed(SubmissionInvalid):
    """The survey takes no answers (draft, closed or gone): a state, not bad input."""

    def __init__(self, message: str):
        super().__init__({"survey": [message]})


TOP_LEVEL = {
    "submission_id",
    "answers",
    "finished",
    "locale",
    "respondent_id",
    "channel",
    "page_url",
    "website",  # the honeypot
}


def _string(data: dict, key: str, errors: dict, *, max_length: int, required: bool = False) -> str:
    value = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[key] = [_("Must be a string.")]
        return ""
    value = value.strip()
    if required and not value:
        errors[key] = [_("This field is required.")]
    elif len(value) > max_length:
        errors[key] = [_("At most %(limit)s characters.") % {"limit": max_length}]
    return value


def parse_submission(data: object, *, user_agent: str = "") -> Submission:
    """Return the submission in ``data`` (a decoded JSON object) or raise ``SubmissionInvalid``."""
    if not isinstance(data, dict):
        raise SubmissionInvalid({"non_field_errors": [_("Send a JSON object.")]})
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(data) - TOP_LEVEL)
    for key in unknown[:10]:
        errors[str(key)[:60]] = [_("Unknown field.")]
    submission_id = _string(data, "submission_id", errors, max_length=64, required=True)
    if "submission_id" not in errors and not SUBMISSION_ID_RE.match(submission_id):
        errors["submission_id"] = [_("Use 8–64 letters, digits, '-', '_', '.' or ':' (a UUID is ideal).")]
    answers = data.get("answers")
    if not isinstance(answers, dict):
        errors["answers"] = [_("Must be an object of {question key: answer}.")]
        answers = {}
    # Left out, a response stays open for more parts (the score first, the comment later); the
    # part that says ``true`` checks the required questions and closes it.
    finished = data.get("finished", False)
    if not isinstance(finished, bool):
        errors["finished"] = [_("Must be true or false.")]
    locale = _string(data, "locale", errors, max_length=10)
    respondent_id = _string(data, "respondent_id", errors, max_length=128)
    channel = _string(data, "channel", errors, max_length=12) or Channel.API
    if "channel" not in errors and channel not in Channel.ALL:
        errors["channel"] = [_("Must be one of %(values)s.") % {"values": ", ".join(Channel.ALL)}]
    page_url = _string(data, "page_url", errors, max_length=500)
    if errors:
        raise SubmissionInvalid(errors)
    return Submission(
        submission_id=submission_id,
        answers=answers,
        finished=finished,
        locale=locale,
        respondent_id=respondent_id,
        channel=channel,
        page_url=page_url,
        user_agent=(user_agent or "")[:300],
    )


def clean_answer(question: Question, value: object) -> object:
    """Return the answer to ``question`` in its stored form, or raise ``ValueError`` saying why."""
    if question.is_scored:
        low, high = question.scale
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(_("Must be a whole number from %(low)s to %(high)s.") % {"low": low, "high": high})
        if isinstance(value, str):
            if not re.fullmatch(r"\s*-?\d{1,3}\s*", value):
                raise ValueError(_("Must be a whole number from %(low)s to %(high)s.") % {"low": low, "high": high})
            value = int(value)
        if not low <= value <= high:
            raise ValueError(_("Must be from %(low)s to %(high)s.") % {"low": low, "high": high})
        return value
    if question.kind == Question.Kind.SINGLE:
        if not isinstance(value, str | int) or isinstance(value, bool) or str(value) not in question.choice_values:
            raise ValueError(_("Must be one of: %(values)s.") % {"values": ", ".join(question.choice_values)})
        return str(value)
    if question.kind == Question.Kind.MULTIPLE:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or len(value) > MAX_CHOICES:
            raise ValueError(_("Must be a list of choices."))
        allowed = question.choice_values
        picked = []
        for item in value:
            if isinstance(item, bool) or not isinstance(item, str | int) or str(item) not in allowed:
                raise ValueError(_("Each choice must be one of: %(values)s.") % {"values": ", ".join(allowed)})
            if str(item) not in picked:
                picked.append(str(item))
        return picked
    if not isinstance(value, str):
        raise ValueError(_("Must be text."))
    value = value.strip()
    if len(value) > MAX_TEXT_ANSWER:
        raise ValueError(_("At most %(limit)s characters.") % {"limit": MAX_TEXT_ANSWER})
    return value


def clean_answers(
    survey: Survey,
    questions: list[Question],
    answers: dict,
    *,
    previous: dict | None = None,
    finished: bool,
    allow_empty: bool = False,
) -> dict:
    """Return the merged, validated answers (``previous`` updated by ``answers``).

    Raises ``SubmissionInvalid`` naming each bad answer as ``answers.<key>``; required questions
    are checked only when the response is finished, so it can arrive in parts.
    """
    by_key = {q.key: q for q in questions}
    errors: dict[str, list[str]] = {}
    cleaned = dict(previous or {})
    for key, value in answers.items():
        question = by_key.get(key)
        if question is None:
            errors[f"answers.{str(key)[:60]}"] = [_("No such question in this survey.")]
            continue
        if value is None or value == "" or value == []:
            cleaned.pop(key, None)
            continue
        try:
            cleaned[key] = clean_answer(question, value)
        except ValueError as exc:
            errors[f"answers.{key}"] = [str(exc)]
    if not errors and not cleaned and not allow_empty:
        errors["answers"] = [_("Answer at least one question.")]
    if not errors and finished:
        errors.update(missing_required(questions, cleaned))
    if errors:
        raise SubmissionInvalid(errors)
    return cleaned


def missing_required(questions: list[Question], answers: dict) -> dict[str, list[str]]:
    return {
        f"answers.{q.key}": [_("This question needs an answer.")]
        for q in questions
        if q.required and q.key not in answers
    }
