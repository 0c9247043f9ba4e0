"""State-changing operations of the feedback app: surveys, responses, follow-ups and themes.

Views, the API, the public endpoint, admin actions and Celery tasks all call these.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.cohorts import cohort_profiles
from journeys.models import Touchpoint
from teams.access import require_role
from teams.models import Role, Team
from teams.signals import DomainEvent, domain_event, needs_transaction

# answer_insert: the submission benchmark needs a new answer stored in one statement.
from . import answer_insert, survey_cache
from .models import (
    METRIC_BY_QUESTION_KIND,
    Display,
    FollowUp,
    Question,
    Response,
    ResponseTheme,
    Survey,
    Theme,
)
from .validation import Submission, SurveyClosed, clean_answers, missing_required

LOCALE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")

# The questions a new survey of each kind starts with: key, kind, English text, required, primary.
STARTER_QUESTIONS = {
    Survey.Kind.NPS: [
        ("score", Question.Kind.NPS, "How likely are you to recommend us to a friend or colleague?", True, True),
        ("comment", Question.Kind.TEXT, "What is the main reason for your score?", False, False),
    ],
    Survey.Kind.CSAT: [
        ("score", Question.Kind.RATING, "How satisfied are you with this?", True, True),
        ("comment", Question.Kind.TEXT, "What could we do better?", False, False),
    ],
    Survey.Kind.CES: [
        ("score", Question.Kind.CES, "How easy was it to get what you needed?", True, True),
        ("comment", Question.Kind.TEXT, "What made it hard or easy?", False, False),
    ],
    Survey.Kind.CUSTOM: [],
}
DEFAULT_THRESHOLD = {Survey.Kind.NPS: 7, Survey.Kind.CSAT: 3, Survey.Kind.CES: 4}


def _check_texts(value, field: str, *, required: bool = False) -> dict:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise ValidationError({field: _('Give the texts as {language: text}, e.g. {"en": "…"}.')})
    cleaned = {}
    for locale, text in value.items():
        if not isinstance(locale, str) or not LOCALE_RE.match(locale):
            raise ValidationError(
                {field: _("“%(code)s” is not a language code such as en, zh or pt-BR.") % {"code": locale}}
            )
        if not isinstance(text, str):
            raise ValidationError({field: _("The %(language)s text must be a string.") % {"language": locale}})
        if len(text) > 1000:
            raise ValidationError(
                {field: _("The %(language)s text is longer than 1000 characters.") % {"language": locale}}
            )
        # A blank text is kept: it says the survey speaks that language, still to be translated.
        cleaned[locale] = text.strip()
    if required and not any(cleaned.values()):
        raise ValidationError({field: _("Give the text in at least one language.")})
    return cleaned


def normalise_origins(origins) -> list[str]:
    """Return ``origins`` as a sorted list of ``scheme://host[:port]``; raise on anything else."""
    if isinstance(origins, str):
        origins = [o for o in re.split(r"[\s,]+", origins) if o]
    if not isinstance(origins, list | tuple):
        raise ValidationError({"allowed_origins": _("Give a list of origins such as https://shop.example.com.")})
    cleaned = set()
    for origin in origins:
        if not isinstance(origin, str):
            raise ValidationError({"allowed_origins": _("Each origin must be a string.")})
        parts = urlsplit(origin.strip().rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query:
            raise ValidationError(
                {
                    "allowed_origins": f"“{origin}” is not an origin: give scheme and host only, e.g. https://shop.example.com."
                }
            )
        cleaned.add(f"{parts.scheme}://{parts.netloc.lower()}")
    if len(cleaned) > 50:
        raise ValidationError({"allowed_origins": _("At most 50 origins.")})
    return sorted(cleaned)


def _primary_question(survey: Survey) -> Question | None:
    return next((q for q in survey.questions.all() if q.is_primary), None)


def _check_threshold(survey: Survey) -> None:
    if survey.followup_threshold is None:
        return
    primary = _primary_question(survey)
    if primary is None or not primary.is_scored:
        return
    low, high = primary.scale
    if not low < survey.followup_threshold <= high + 1:
        raise ValidationError(
            {
                "followup_threshold": _("Give a score from %(low)s to %(high)s: answers under it open a follow-up.")
                % {"low": low + 1, "high": high + 1}
            }
        )


def _check_touchpoint(team_id: int, touchpoint: Touchpoint | None) -> None:
    if touchpoint is not None and touchpoint.stage.journey_map.team_id != team_id:
        raise ValidationError({"touchpoint": _("Choose a touchpoint of one of this team's maps.")})


SURVEY_FIELDS = (
    "name",
    "kind",
    "status",
    "touchpoint",
    "audience",
    "default_locale",
    "title",
    "thank_you",
    "allowed_origins",
    "recontact_days",
    "followup_threshold",
)


def _apply_survey_fields(survey: Survey, fields: dict) -> None:
    for name, value in fields.items():
        if name not in SURVEY_FIELDS:
            raise ValidationError({name: _("Unknown field.")})
        if name in ("title", "thank_you"):
            value = _check_texts(value, name)
        elif name == "allowed_origins":
            value = normalise_origins(value)
        elif name == "name":
            value = (value or "").strip()
            if not value:
                raise ValidationError({"name": _("Give the survey a name.")})
        elif name == "audience" and value is not None and value.team_id != survey.team_id:
            raise ValidationError({"audience": _("Choose a cohort of this team.")})
        elif name == "default_locale" and (not isinstance(value, str) or not LOCALE_RE.match(value)):
            raise ValidationError({"default_locale": _("Give a language code such as en, zh or lv.")})
        setattr(survey, name, value)
    if survey.kind not in Survey.Kind.values:
        raise ValidationError({"kind": _("Choose NPS, CSAT, CES or custom.")})
    if survey.status not in Survey.Status.values:
        raise ValidationError({"status": _("Choose draft, active or closed.")})
    if survey.recontact_days is None or not 0 <= survey.recontact_days <= 3650:
        raise ValidationError({"recontact_days": _("Give a number of days from 0 to 3650.")})


@transaction.atomic
def survey_create(
    *, team: Team, actor, name: str, kind: str = Survey.Kind.NPS, questions: list | None = None, **fields
) -> Survey:
    """Create a survey with the starter questions of its kind (or the ``questions`` given)."""
    require_role(actor, team.pk, Role.EDITOR)
    survey = Survey(team=team, created_by=actor if getattr(actor, "pk", None) else None, kind=kind)
    if "followup_threshold" not in fields:
        fields["followup_threshold"] = DEFAULT_THRESHOLD.get(kind)
    _apply_survey_fields(survey, {"name": name, **fields})
    if not survey.title:
        survey.title = {survey.default_locale: name.strip()}
    _check_touchpoint(team.pk, survey.touchpoint)
    survey.save()
    if questions is None:
        for position, (key, qkind, text, required, primary) in enumerate(STARTER_QUESTIONS[survey.kind]):
            Question.objects.create(
                survey=survey,
                key=key,
                kind=qkind,
                text={"en": text},
                required=required,
                is_primary=primary,
                position=position,
            )
    else:
        questions_replace(survey=survey, actor=actor, questions=questions)
    _check_threshold(survey)
    return survey


@transaction.atomic
def survey_update(*, survey: Survey, actor, questions: list | None = None, **fields) -> Survey:
    """Change a survey's settings (and, when ``questions`` is given, replace its questions)."""
    require_role(actor, survey.team_id, Role.EDITOR)
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    _apply_survey_fields(survey, fields)
    _check_touchpoint(survey.team_id, survey.touchpoint)
    survey.updated_at = timezone.now()
    survey.save()
    if questions is not None:
        questions_replace(survey=survey, actor=actor, questions=questions)
    _check_threshold(survey)
    return survey


def survey_set_status(*, survey: Survey, actor, status: str) -> Survey:
    """Open (active), pause (draft) or close a survey; an active survey needs a question."""
    if status == Survey.Status.ACTIVE and not survey.questions.exists():
        raise ValidationError({"status": _("Add a question before you open the survey.")})
    return survey_update(survey=survey, actor=actor, status=status)


def survey_delete(*, survey: Survey, actor) -> None:
    require_role(actor, survey.team_id, Role.EDITOR)
    if survey.responses.exists():
        raise ValidationError({"survey": _("The survey has responses: close it instead, so they are kept.")})
    survey.delete()


def _clean_question_fields(survey: Survey, data: dict, *, instance: Question | None = None) -> dict:
    key = (data.get("key") if "key" in data else getattr(instance, "key", "")) or ""
    key = str(key).strip().lower()
    if not KEY_RE.match(key):
        raise ValidationError({"key": _("Use up to 40 lower-case letters, digits, '-' or '_', e.g. “score”.")})
    kind = data.get("kind", getattr(instance, "kind", None))
    if kind not in Question.Kind.values:
        raise ValidationError({"kind": _("Choose one of %(kinds)s.") % {"kinds": ", ".join(Question.Kind.values)}})
    text = _check_texts(data.get("text", getattr(instance, "text", {})), "text", required=True)
    choices = data.get("choices", getattr(instance, "choices", []))
    if isinstance(choices, str):
        choices = [
            {"value": slug, "label": {survey.default_locale: label}} for slug, label in _parse_choice_lines(choices)
        ]
    if kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        if not isinstance(choices, list) or len(choices) < 2:
            raise ValidationError({"choices": _("Give at least two choices.")})
        seen = set()
        cleaned_choices = []
        for choice in choices:
            if not isinstance(choice, dict) or not str(choice.get("value", "")).strip():
                raise ValidationError({"choices": _("Each choice needs a value and a label: {value, label: {en: …}}.")})
            value = str(choice["value"]).strip()[:60]
            if value in seen:
                raise ValidationError({"choices": _("The choice “%(value)s” appears twice.") % {"value": value}})
            seen.add(value)
            label = _check_texts(choice.get("label") or {survey.default_locale: value}, "choices")
            cleaned_choices.append({"value": value, "label": label})
        choices = cleaned_choices
    else:
        choices = []
    is_primary = bool(data.get("is_primary", getattr(instance, "is_primary", False)))
    if is_primary and kind not in METRIC_BY_QUESTION_KIND:
        raise ValidationError({"is_primary": _("Only an NPS, rating or effort question can be the primary score.")})
    return {
        "key": key,
        "kind": kind,
        "text": text,
        "choices": choices,
        "required": bool(data.get("required", getattr(instance, "required", False))),
        "is_primary": is_primary,
    }


def _parse_choice_lines(text: str) -> list[tuple[str, str]]:
    """Parse one choice a line, ``value: label`` or just ``label``."""
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        value, _, label = line.partition(":") if ":" in line else (line, "", line)
        value = re.sub(r"[^a-z0-9_-]+", "-", value.strip().lower()).strip("-") or str(len(pairs) + 1)
        pairs.append((value, label.strip() or value))
    return pairs


@transaction.atomic
def question_add(*, survey: Survey, actor, **data) -> Question:
    require_role(actor, survey.team_id, Role.EDITOR)
    Survey.objects.select_for_update().filter(pk=survey.pk).first()
    fields = _clean_question_fields(survey, data)
    if survey.questions.filter(key=fields["key"]).exists():
        raise ValidationError({"key": _("The survey already has a question “%(key)s”.") % {"key": fields["key"]}})
    if fields["is_primary"]:
        survey.questions.filter(is_primary=True).update(is_primary=False)
    position = (survey.questions.aggregate(m=Max("position"))["m"] or 0) + 1
    question = Question.objects.create(survey=survey, position=position, **fields)
    _touch(survey)
    return question


@transaction.atomic
def question_update(*, question: Question, actor, **data) -> Question:
    require_role(actor, question.survey.team_id, Role.EDITOR)
    survey = Survey.objects.select_for_update().get(pk=question.survey_id)
    fields = _clean_question_fields(survey, data, instance=question)
    if survey.questions.filter(key=fields["key"]).exclude(pk=question.pk).exists():
        raise ValidationError({"key": _("The survey already has a question “%(key)s”.") % {"key": fields["key"]}})
    if fields["is_primary"]:
        survey.questions.filter(is_primary=True).exclude(pk=question.pk).update(is_primary=False)
    for name, value in fields.items():
        setattr(question, name, value)
    question.save()
    _touch(survey)
    _check_threshold(survey)
    return question


@transaction.atomic
def question_delete(*, question: Question, actor) -> None:
    require_role(actor, question.survey.team_id, Role.EDITOR)
    survey = question.survey
    if survey.status == Survey.Status.ACTIVE and survey.questions.count() == 1:
        raise ValidationError({"question": _("An open survey needs a question: close it first.")})
    question.delete()
    _touch(survey)


@transaction.atomic
def question_move(*, question: Question, actor, direction: str) -> None:
    """Move a question one place up or down (keyboard-friendly reordering)."""
    require_role(actor, question.survey.team_id, Role.EDITOR)
    questions = list(
        Question.objects.select_for_update().filter(survey_id=question.survey_id).order_by("position", "id")
    )
    index = next(i for i, q in enumerate(questions) if q.pk == question.pk)
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down"):
        raise ValidationError({"direction": _("Move up or down.")})
    if 0 <= other < len(questions):
        questions[index], questions[other] = questions[other], questions[index]
    for position, q in enumerate(questions):
        q.position = position
    Question.objects.bulk_update(questions, ["position"])
    survey_cache.bump()


def questions_replace(*, survey: Survey, actor, questions: list) -> list[Question]:
    """Replace the survey's questions by ``questions`` (a list of dicts), keeping keys unique."""
    require_role(actor, survey.team_id, Role.EDITOR)
    if not isinstance(questions, list):
        raise ValidationError({"questions": _("Give a list of questions.")})
    cleaned, keys = [], set()
    for index, data in enumerate(questions):
        if not isinstance(data, dict):
            raise ValidationError({"questions": _("Question %(number)s must be an object.") % {"number": index + 1}})
        try:
            fields = _clean_question_fields(survey, data)
        except ValidationError as exc:
            raise ValidationError(
                {
                    "questions": [
                        _("Question %(number)s: %(error)s") % {"number": index + 1, "error": m} for m in exc.messages
                    ]
                }
            ) from exc
        if fields["key"] in keys:
            raise ValidationError({"questions": _("Two questions have the key “%(key)s”.") % {"key": fields["key"]}})
        keys.add(fields["key"])
        cleaned.append(fields)
    if sum(1 for f in cleaned if f["is_primary"]) > 1:
        raise ValidationError({"questions": _("Only one question can be the primary score.")})
    with transaction.atomic():
        survey.questions.all().delete()
        created = Question.objects.bulk_create(
            [Question(survey=survey, position=i, **f) for i, f in enumerate(cleaned)]
        )
        survey_cache.bump()
    return created


def _touch(survey: Survey) -> None:
    Survey.objects.filter(pk=survey.pk).update(updated_at=timezone.now())
    survey_cache.bump()


# --- answering ------------------------------------------------------------------------------


def _client_survey_cap_days() -> int:
    return int(getattr(settings, "FEEDBACK_TEAM_CAP_DAYS", 7))


def in_audience(*, survey: Survey, respondent_id: str) -> bool:
    """Return whether the respondent (a user id or anonymous id of the team's events) is in the audience.

    An anonymous respondent (no id) is not: a cohort is a set of known profiles.
    """
    if survey.audience_id is None:
        return True
    if not respondent_id:
        return False
    return (
        cohort_profiles(survey.audience)
        .filter(identities__team_id=survey.team_id, identities__value=respondent_id)
        .exists()
    )


def respondent_eligibility(*, survey: Survey, respondent_id: str, now=None) -> tuple[bool, str]:
    """Return whether to show ``survey`` to the respondent, and why not.

    Decided here, not in the browser, so it holds across devices: no second answer to (or display
    of) this survey within its recontact days, and no more than one survey of the team within
    ``FEEDBACK_TEAM_CAP_DAYS`` (``0`` turns the team-wide cap off). Anonymous respondents are
    always eligible (the widget remembers them on their own device), unless the survey has an
    audience: then only a respondent whose id is a profile of that cohort now is asked.
    """
    if survey.status != Survey.Status.ACTIVE:
        return False, "closed" if survey.status == Survey.Status.CLOSED else "draft"
    if survey.audience_id is not None and not in_audience(survey=survey, respondent_id=respondent_id):
        return False, "audience"
    if not respondent_id:
        return True, ""
    now = now or timezone.now()
    if survey.recontact_days:
        since = now - timedelta(days=survey.recontact_days)
        recent = (
            Response.objects.filter(
                team_id=survey.team_id, respondent_id=respondent_id, survey_id=survey.pk, created_at__gte=since
            ).exists()
            or Display.objects.filter(
                team_id=survey.team_id, respondent_id=respondent_id, survey_id=survey.pk, created_at__gte=since
            ).exists()
        )
        if recent:
            return False, "recontact"
    cap = _client_survey_cap_days()
    if cap:
        since = now - timedelta(days=cap)
        other = (
            Response.objects.filter(team_id=survey.team_id, respondent_id=respondent_id, created_at__gte=since)
            .exclude(survey_id=survey.pk)
            .exists()
            or Display.objects.filter(team_id=survey.team_id, respondent_id=respondent_id, created_at__gte=since)
            .exclude(survey_id=survey.pk)
            .exists()
        )
        if other:
            return False, "team_cap"
    return True, ""


def display_record(
    *, survey: Survey, event: str, respondent_id: str = "", locale: str = "", page_url: str = ""
) -> Display:
    """Record that the survey was shown to (or dismissed by) a respondent."""
    if event not in Display.Event.values:
        raise ValidationError({"event": _("Must be shown or dismissed.")})
    return Display.objects.create(
        team_id=survey.team_id,
        survey=survey,
        event=event,
        respondent_id=respondent_id[:128],
        locale=locale[:10],
        page_url=page_url[:500],
    )


class AlreadyFinished(Exception):
    """A finished response was posted again with different answers."""

    def __init__(self, response: Response):
        super().__init__(_("This response is already finished."))
        self.response = response


def _score_of(questions: list[Question], answers: dict) -> tuple[int | None, str]:
    primary = next((q for q in questions if q.is_primary), None)
    if primary is None:
        primary = next((q for q in questions if q.is_scored), None)
    if primary is None or primary.key not in answers:
        return None, ""
    return answers[primary.key], METRIC_BY_QUESTION_KIND.get(primary.kind, "")


def response_submit(
    *, survey: Survey, submission: Submission, questions: list[Question] | None = None
) -> tuple[Response, bool]:
    """Store a respondent's answers; return ``(response, created)``.

    Idempotent by ``(survey, submission_id)``: a retried post stores nothing new; a later post
    with the same id adds answers (merged, re-validated, score updated) until the response is
    finished. Concurrent posts of one id meet at the unique constraint: the loser reads the
    winner's row under a lock and merges into it. Raises ``SubmissionInvalid`` (field-named) for
    bad answers or a survey that is not open, and ``AlreadyFinished`` for a change after the end.

    A new answer that no webhook subscribes to is one statement in autocommit (its own
    transaction, one round trip): ``INSERT … ON CONFLICT DO NOTHING``, with its follow-up and theme
    tags in the same statement on PostgreSQL. On SQLite an answer with after-effects, and anywhere
    an answer a webhook wants (its deliveries are written with it), is one transaction.
    """
    if survey.status != Survey.Status.ACTIVE:
        raise SurveyClosed(
            _("This survey is a draft: it takes no answers.")
            if survey.status == Survey.Status.DRAFT
            else _("This survey is closed: it takes no answers.")
        )
    if questions is None:
        questions = list(survey.questions.all())
    # Check each answer now; whether required ones are missing depends on what an earlier part sent.
    answers = clean_answers(survey, questions, submission.answers, finished=False, allow_empty=True)
    incomplete = (submission.finished and missing_required(questions, answers)) or not answers
    if incomplete:
        with transaction.atomic():
            existing = _locked_response(survey, submission)
            if existing is None:
                clean_answers(survey, questions, submission.answers, finished=submission.finished)  # raises
            return _response_merge(existing, survey, questions, submission), False
    now = timezone.now()
    score, metric = _score_of(questions, answers)
    touchpoint = survey.touchpoint
    response = answer_insert.new_instance(
        Response,
        {
            "team_id": survey.team_id,
            "survey_id": survey.pk,
            "touchpoint_id": survey.touchpoint_id,
            "stage_id": touchpoint.stage_id if touchpoint is not None else None,
            "submission_id": submission.submission_id,
            "score": score,
            "metric": metric,
            "answers": answers,
            "channel": submission.channel,
            "locale": submission.locale,
            "respondent_id": submission.respondent_id,
            "page_url": submission.page_url,
            "user_agent": submission.user_agent,
            "finished": submission.finished,
            "created_at": now,
            "updated_at": now,
        },
        related={"survey": survey},
    )
    themes = matching_themes(survey.team_id, answers)
    opens = _opens_followup(survey, score)
    if _in_one_statement(survey.team_id, opens=opens, themes=themes):
        followup = _new_followup(response) if opens else None
        if answer_insert.insert(response, followup, themes):
            _announce(response, survey, followup)
            return response, True
    else:
        # One transaction for the row and its after-effects, no savepoint: a duplicate submission
        # id rolls it all back, and the merge runs in a fresh transaction.
        try:
            with transaction.atomic():
                # As the one statement does: stored only while the survey's row says open.
                if not Survey.objects.filter(pk=survey.pk, status=Survey.Status.ACTIVE).exists():
                    raise SurveyClosed(_("This survey takes no answers now."))
                response.save(force_insert=True)
                _after_answer(response, survey, created=True, themes=themes)
            return response, True
        except IntegrityError:
            with transaction.atomic():
                existing = _locked_response(survey, submission)
                if existing is None:  # not a duplicate submission: some other constraint
                    raise
                return _response_merge(existing, survey, questions, submission), False
    with transaction.atomic():
        existing = _locked_response(survey, submission)
        if existing is None:  # closed or deleted since this process read the survey
            raise SurveyClosed(_("This survey takes no answers now."))
        return _response_merge(existing, survey, questions, submission), False


def _locked_response(survey: Survey, submission: Submission) -> Response | None:
    return Response.objects.select_for_update().filter(survey=survey, submission_id=submission.submission_id).first()


def _opens_followup(survey: Survey, score: int | None) -> bool:
    return survey.followup_threshold is not None and score is not None and score < survey.followup_threshold


def _in_one_statement(team_id: int, *, opens: bool, themes: list[int]) -> bool:
    """Whether a new answer and its after-effects can be written as one statement.

    Not when a receiver of their events writes in the sender's transaction (a webhook's deliveries
    are written with the row).
    On PostgreSQL the follow-up and the theme tags ride along in the statement (data-modifying
    common table expressions); elsewhere only an answer that writes its row alone.
    """
    if needs_transaction(team_id=team_id, event=DomainEvent.RESPONSE_CREATED) or (
        opens and needs_transaction(team_id=team_id, event=DomainEvent.FOLLOWUP_OPENED)
    ):
        return False
    return answer_insert.supported(with_after_effects=bool(opens or themes))


def _announce(response: Response, survey: Survey, followup: FollowUp | None) -> None:
    """The events of an answer stored in one statement (no receiver needed its transaction)."""
    domain_event.send(
        sender=Response,
        team_id=survey.team_id,
        event=DomainEvent.RESPONSE_CREATED,
        items=[_response_event(response, survey)],
    )
    if followup is not None:
        domain_event.send(
            sender=FollowUp,
            team_id=response.team_id,
            event=DomainEvent.FOLLOWUP_OPENED,
            items=[_followup_event(followup, response, survey.pk)],
        )


def _response_event(response: Response, survey: Survey) -> dict:
    return {
        "id": response.pk,
        "survey": survey.pk,
        "touchpoint": response.touchpoint_id,
        "score": response.score,
        "metric": response.metric,
        "created_at": response.created_at.isoformat(),
    }


def _response_merge(response: Response, survey: Survey, questions: list[Question], submission: Submission) -> Response:
    merged = clean_answers(
        survey,
        questions,
        submission.answers,
        previous=response.answers,
        finished=submission.finished or response.finished,
    )
    if response.finished:
        if merged != response.answers:
            raise AlreadyFinished(response)
        return response
    score, metric = _score_of(questions, merged)
    changed = merged != response.answers or submission.finished
    if changed:
        response.answers = merged
        response.score, response.metric = score, metric
        response.finished = submission.finished
        response.updated_at = timezone.now()
        for name in ("locale", "respondent_id", "page_url"):
            if getattr(submission, name) and not getattr(response, name):
                setattr(response, name, getattr(submission, name))
        response.save(
            update_fields=[
                "answers",
                "score",
                "metric",
                "finished",
                "updated_at",
                "locale",
                "respondent_id",
                "page_url",
            ]
        )
        _after_answer(response, survey, created=False, themes=matching_themes(survey.team_id, merged))
    return response


def _after_answer(response: Response, survey: Survey, *, created: bool, themes: list[int]) -> None:
    """Within the answer's transaction: its event, the follow-up of a low score, its themes."""
    if created:
        domain_event.send(
            sender=Response,
            team_id=survey.team_id,
            event=DomainEvent.RESPONSE_CREATED,
            items=[_response_event(response, survey)],
        )
    if _opens_followup(survey, response.score):
        followup_open(response=response, survey=survey, new_response=created)
    if themes:
        ResponseTheme.objects.bulk_create(
            [ResponseTheme(response_id=response.pk, theme_id=pk, source=ResponseTheme.Source.AUTO) for pk in themes],
            ignore_conflicts=not created,
        )


# --- follow-ups -----------------------------------------------------------------------------


def followup_due(touchpoint_id: int | None, start, routing: survey_cache.Routing | None = None) -> tuple:
    """Return ``(due_at, escalate_at)`` under the touchpoint's SLA, or the default target.

    ``routing``: the touchpoint's ``followup_routing``, when the caller has it already.
    """
    terms = (routing or survey_cache.followup_routing(touchpoint_id)).sla
    if terms is not None:
        due = terms.due(start)
        return due.due_at, due.due_at + due.escalation_delay
    target = getattr(settings, "FEEDBACK_DEFAULT_FOLLOWUP_TARGET", timedelta(hours=48))
    return start + target, start + target + timedelta(hours=24)


def followup_open(*, response: Response, survey: Survey | None = None, new_response: bool = False) -> FollowUp:
    """Open the follow-up of a low score for the touchpoint's accountable owner (once).

    ``new_response``: the response was created in the caller's transaction, so it has no
    follow-up yet: no existence check, no savepoint.
    """
    survey_id = survey.pk if survey is not None else response.survey_id
    if not new_response:
        existing = FollowUp.objects.filter(response_id=response.pk).first()
        if existing is not None:
            return existing
    followup = _new_followup(response)
    if new_response:
        followup.save(force_insert=True)
    else:
        try:
            with transaction.atomic():
                followup.save(force_insert=True)
        except IntegrityError:
            return FollowUp.objects.get(response_id=response.pk)
    domain_event.send(
        sender=FollowUp,
        team_id=response.team_id,
        event=DomainEvent.FOLLOWUP_OPENED,
        items=[_followup_event(followup, response, survey_id)],
    )
    return followup


def _new_followup(response: Response) -> FollowUp:
    """The follow-up a low score opens (unsaved): for the touchpoint's accountable owner, due by its SLA."""
    routing = survey_cache.followup_routing(response.touchpoint_id)
    due_at, escalate_at = followup_due(response.touchpoint_id, response.created_at, routing)
    return FollowUp(
        team_id=response.team_id,
        response=response,
        touchpoint_id=response.touchpoint_id,
        owner_id=routing.owner_id,
        due_at=due_at,
        escalate_at=escalate_at,
        created_at=timezone.now(),
    )


def _followup_event(followup: FollowUp, response: Response, survey_id: int) -> dict:
    return {
        "id": followup.pk,
        "response": response.pk,
        "survey": survey_id,
        "owner": followup.owner_id,
        "score": response.score,
        "due_at": followup.due_at.isoformat(),
    }


def _check_followup_actor(followup: FollowUp, actor) -> None:
    """The owner may work their follow-up; otherwise it takes an editor of the team."""
    if getattr(actor, "pk", None) is not None and followup.owner_id == actor.pk:
        require_role(actor, followup.team_id, Role.VIEWER)
        return
    require_role(actor, followup.team_id, Role.EDITOR)


def _note_line(actor, text: str) -> str:
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    who = getattr(actor, "username", None) or str(actor)
    return f"[{stamp}] {who}: {text.strip()}"


@transaction.atomic
def followup_acknowledge(*, followup: FollowUp, actor) -> FollowUp:
    _check_followup_actor(followup, actor)
    followup = FollowUp.objects.select_for_update().get(pk=followup.pk)
    if followup.status == FollowUp.Status.CLOSED:
        raise ValidationError({"status": _("This follow-up is already closed.")})
    if followup.status == FollowUp.Status.OPEN:
        followup.status = FollowUp.Status.ACKNOWLEDGED
        followup.acknowledged_at = timezone.now()
        if followup.owner_id is None and getattr(actor, "pk", None):
            followup.owner_id = actor.pk
        followup.save(update_fields=["status", "acknowledged_at", "owner"])
    return followup


@transaction.atomic
def followup_add_note(*, followup: FollowUp, actor, text: str) -> FollowUp:
    _check_followup_actor(followup, actor)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"note": _("Write the note first.")})
    if len(text) > 4000:
        raise ValidationError({"note": _("At most 4000 characters.")})
    # The append happens in SQL so two people adding notes at once both keep theirs.
    line = _note_line(actor, text)
    FollowUp.objects.filter(pk=followup.pk).update(notes=models_concat_notes(line))
    followup.refresh_from_db()
    return followup


def models_concat_notes(line: str):
    from django.db.models import Case, TextField, Value, When
    from django.db.models.functions import Concat

    return Case(
        When(notes="", then=Value(line, output_field=TextField())),
        default=Concat(F("notes"), Value("\n" + line), output_field=TextField()),
        output_field=TextField(),
    )


@transaction.atomic
def followup_close(*, followup: FollowUp, actor, note: str = "") -> FollowUp:
    _check_followup_actor(followup, actor)
    if note.strip():
        followup_add_note(followup=followup, actor=actor, text=note)
    followup = FollowUp.objects.select_for_update().get(pk=followup.pk)
    if followup.status != FollowUp.Status.CLOSED:
        now = timezone.now()
        followup.status = FollowUp.Status.CLOSED
        followup.closed_at = now
        followup.acknowledged_at = followup.acknowledged_at or now
        followup.save(update_fields=["status", "closed_at", "acknowledged_at"])
    return followup


@transaction.atomic
def followup_reopen(*, followup: FollowUp, actor) -> FollowUp:
    _check_followup_actor(followup, actor)
    followup = FollowUp.objects.select_for_update().get(pk=followup.pk)
    if followup.status == FollowUp.Status.CLOSED:
        followup.status = FollowUp.Status.ACKNOWLEDGED
        followup.closed_at = None
        followup.save(update_fields=["status", "closed_at"])
    return followup


def followups_sweep(*, now=None) -> dict:
    """Record breaches of open follow-ups once, tell the owners, escalate to team admins.

    Set-based: one UPDATE marks every newly breached follow-up (``breached_at`` is set once, so
    a breach is never recorded or mailed twice), one more the escalations; the emails are built
    from two reads of the rows just marked (only the columns they use). Each recipient gets one
    email per sweep listing their breaches (and one listing the escalations); the events go out
    with one ``domain_event`` send per team.
    """
    from django.urls import reverse

    from owners.sla import notify, notify_breach, notify_digest, notify_escalation, team_admin_emails

    now = now or timezone.now()
    open_q = ~Q(status=FollowUp.Status.CLOSED)
    with transaction.atomic():
        breached_ids = list(
            FollowUp.objects.select_for_update(skip_locked=True)
            .filter(open_q, breached_at__isnull=True, due_at__lte=now)
            .values_list("pk", flat=True)
        )
        FollowUp.objects.filter(pk__in=breached_ids).update(breached_at=now)
        escalated_ids = list(
            FollowUp.objects.select_for_update(skip_locked=True)
            .filter(open_q, breached_at__isnull=False, escalated_at__isnull=True, escalate_at__lte=now)
            .values_list("pk", flat=True)
        )
        FollowUp.objects.filter(pk__in=escalated_ids).update(escalated_at=now)
    link = reverse("feedback:my_followups")
    notifications = []
    by_team: dict[int, list[dict]] = {}
    for row in _followups_for_email(breached_ids, "due_at"):
        notifications.append(
            notify_breach(recipient=row["owner__email"], what=_followup_label(row), due_at=row["due_at"], link=link)
        )
        by_team.setdefault(row["team_id"], []).append(
            {
                "id": row["pk"],
                "response": row["response_id"],
                "owner": row["owner_id"],
                "due_at": row["due_at"].isoformat(),
            }
        )
    for team_id, items in by_team.items():
        domain_event.send(sender=FollowUp, team_id=team_id, event=DomainEvent.FOLLOWUP_BREACHED, items=items)
    escalated = _followups_for_email(escalated_ids, "breached_at")
    admins = team_admin_emails({row["team_id"] for row in escalated})
    for row in escalated:
        notifications.append(
            notify_escalation(
                recipients=admins.get(row["team_id"], []),
                what=_followup_label(row),
                owner=row["owner__username"] or "",
                breached_at=row["breached_at"] or now,
                link=link,
            )
        )
    sent = notify(notify_digest(notifications))
    return {"breached": len(breached_ids), "escalated": len(escalated_ids), "emails": sent}


def _followups_for_email(ids: list[int], moment: str) -> list[dict]:
    """The follow-ups ``ids`` as the columns their emails and events use, in one query.

    Plain rows, not model instances, and only the one timestamp the email needs (``moment``):
    building and parsing them is most of a backlog sweep's time.
    """
    return list(
        FollowUp.objects.filter(pk__in=ids)
        .values(
            "pk",
            "team_id",
            "response_id",
            "owner_id",
            moment,
            "owner__email",
            "owner__username",
            "touchpoint_id",
            "touchpoint__name",
            "response__score",
            "response__survey__name",
        )
        .order_by("pk")
    )


def _followup_label(row: dict) -> str:
    values = {"score": row["response__score"], "survey": row["response__survey__name"]}
    if row["touchpoint_id"]:
        return _("Follow-up of a %(score)s on “%(survey)s” at %(touchpoint)s") % {
            **values,
            "touchpoint": row["touchpoint__name"],
        }
    return _("Follow-up of a %(score)s on “%(survey)s”") % values


# --- themes ---------------------------------------------------------------------------------


def _clean_theme(data: dict, instance: Theme | None = None) -> dict:
    name = str(data.get("name", getattr(instance, "name", "")) or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the theme a name.")})
    if len(name) > 100:
        raise ValidationError({"name": _("At most 100 characters.")})
    keywords = data.get("keywords", getattr(instance, "keywords", ""))
    if isinstance(keywords, list):
        keywords = ", ".join(str(k) for k in keywords)
    keywords = ", ".join(k.strip() for k in str(keywords or "").split(",") if k.strip())
    color = data.get("color", getattr(instance, "color", "#64748b")) or "#64748b"
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", color):
        raise ValidationError({"color": _("Give the colour as #rrggbb.")})
    return {"name": name, "keywords": keywords, "color": color}


def theme_create(*, team: Team, actor, **data) -> Theme:
    require_role(actor, team.pk, Role.EDITOR)
    fields = _clean_theme(data)
    if Theme.objects.filter(team=team, name__iexact=fields["name"]).exists():
        raise ValidationError({"name": _("The team already has a theme of that name.")})
    try:
        with transaction.atomic():
            return Theme.objects.create(team=team, **fields)
    except IntegrityError as exc:
        raise ValidationError({"name": _("The team already has a theme of that name.")}) from exc


def theme_update(*, theme: Theme, actor, **data) -> Theme:
    require_role(actor, theme.team_id, Role.EDITOR)
    fields = _clean_theme(data, theme)
    if Theme.objects.filter(team_id=theme.team_id, name__iexact=fields["name"]).exclude(pk=theme.pk).exists():
        raise ValidationError({"name": _("The team already has a theme of that name.")})
    for name, value in fields.items():
        setattr(theme, name, value)
    theme.save()
    return theme


def theme_delete(*, theme: Theme, actor) -> None:
    require_role(actor, theme.team_id, Role.EDITOR)
    theme.delete()


def answers_text(answers: dict) -> str:
    return " ".join(v for v in answers.values() if isinstance(v, str)).lower()


def response_text(response: Response) -> str:
    return answers_text(response.answers)


def matching_themes(team_id: int, answers: dict) -> list[int]:
    """The team's themes with a keyword in the answers' open text (no query while cached)."""
    text = answers_text(answers)
    if not text:
        return []
    return [
        theme_id
        for theme_id, patterns in survey_cache.team_themes(team_id)
        if any(pattern.search(text) for pattern in patterns)
    ]


def response_theme_set(*, response: Response, theme: Theme, actor, tagged: bool) -> None:
    """Tag (or untag) a response with a theme by hand."""
    require_role(actor, response.team_id, Role.EDITOR)
    if theme.team_id != response.team_id:
        raise ValidationError({"theme": _("Choose a theme of the response's team.")})
    if tagged:
        ResponseTheme.objects.update_or_create(
            response=response, theme=theme, defaults={"source": ResponseTheme.Source.MANUAL}
        )
    else:
        ResponseTheme.objects.filter(response=response, theme=theme).delete()
