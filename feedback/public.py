"""The public survey endpoints: anonymous, CSRF-exempt, sessionless, CORS-limited, rate-limited.

Every way to answer (the widget, the hosted page, email links, other clients) ends in
``services.response_submit``. These views never read ``request.user`` or the session: a
respondent is identified only by what they send.

JSON endpoints under ``/api/public/surveys/<public_key>/``:

- ``GET  ./``              the survey in the respondent's language (``?locale=`` or Accept-Language)
- ``GET  ./eligibility/``  whether to show it (``?respondent_id=``), decided on the server
- ``POST ./displays/``     record that it was shown or dismissed
- ``POST ./responses/``    store answers, idempotent by ``submission_id``
"""

from __future__ import annotations

import json
import re
import uuid
from functools import lru_cache, wraps

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext, pgettext_lazy
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt

from teams import ratelimit
from teams.text import UNSTORABLE_MESSAGE, find_unstorable

from . import services, survey_cache
from .models import Display, Question, Survey, is_rtl, language_of, pick_text
from .validation import Channel, SubmissionInvalid, SurveyClosed, parse_submission

PUBLIC_FIELDS = ("title", "thank_you")

# The widget's and hosted page's own words, as gettext msgids: each is rendered in the
# respondent's language from the catalogs (feedback/locale, which also carries the widget's words
# for languages the interface itself does not speak, such as ar and he).
UI_TEXT = {
    "submit": pgettext_lazy("survey widget", "Send"),
    "close": pgettext_lazy("survey widget", "Close"),
    "low_nps": pgettext_lazy("survey widget", "Not at all likely"),
    "high_nps": pgettext_lazy("survey widget", "Extremely likely"),
    "low": pgettext_lazy("survey widget", "Poor"),
    "high": pgettext_lazy("survey widget", "Excellent"),
    "required": pgettext_lazy("survey widget", "Please answer this question."),
    "thanks": pgettext_lazy("survey widget", "Thank you for your feedback!"),
    "optional": pgettext_lazy("survey widget", "optional"),
    "dialog": pgettext_lazy("survey widget", "Feedback survey"),
    "error": pgettext_lazy("survey widget", "Something went wrong. Please try again."),
    "chosen": pgettext_lazy("survey widget", "You chose"),
}
# Chinese written in Taiwan, Hong Kong and Macau is Traditional; any other Chinese is Simplified.
_TRADITIONAL_CHINESE = {"hant", "tw", "hk", "mo"}


def ui_language(locale: str) -> str:
    """Return the catalog language (a Django language code) for a respondent's ``locale``."""
    parts = (locale or "").replace("_", "-").lower().split("-")
    if parts[0] == "zh":
        return "zh-hant" if _TRADITIONAL_CHINESE & set(parts[1:]) else "zh-hans"
    if parts[0] and translation.check_for_language(parts[0]):
        return parts[0]
    return settings.LANGUAGE_CODE


@lru_cache(maxsize=256)
def _ui_texts(language: str) -> tuple[dict, bool]:
    """The built-in texts in ``language`` and whether its catalog has them (once per process:
    the catalogs do not change while it runs)."""
    with translation.override(language):
        texts = {key: str(message) for key, message in UI_TEXT.items()}
    if language == settings.LANGUAGE_CODE:
        return texts, True
    return texts, texts != _ui_texts(settings.LANGUAGE_CODE)[0]


def ui_text(locale: str) -> dict:
    """The widget's and hosted page's built-in texts in the respondent's ``locale`` (English for a
    language no catalog speaks)."""
    return dict(_ui_texts(ui_language(locale))[0])


def thank_you_text(survey: Survey, locale: str) -> str:
    """Return the thank-you in the respondent's language whenever there is one.

    The survey's own text in ``locale`` (or its language) first; then the built-in thanks in
    that language; only then the survey's text in its default (or any) language, and last the
    English built-in. Someone who answered in Chinese is thanked in Chinese even when the survey's
    author wrote a custom thank-you only in English.
    """
    texts = survey.thank_you if isinstance(survey.thank_you, dict) else {}
    locale = (locale or "").replace("_", "-")
    for candidate in (locale, language_of(locale)):
        if candidate and texts.get(candidate):
            return texts[candidate]
    built_in, translated = _ui_texts(ui_language(locale))
    if translated:
        return built_in["thanks"]
    return survey.text_for("thank_you", locale) or _ui_texts(settings.LANGUAGE_CODE)[0]["thanks"]


# --- the guards every public endpoint passes ------------------------------------------------


def _error(status: int, detail: str, code: str, errors: dict | None = None) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code, "errors": errors or {}}, status=status)


def client_address(request: HttpRequest) -> str:
    if settings.FEEDBACK_TRUST_X_FORWARDED_FOR:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:64]
    return request.META.get("REMOTE_ADDR", "")[:64]


def rate_limit_retry_after(request: HttpRequest) -> int | None:
    """Count the request against its client address; return seconds to wait when over the limit.

    ``FEEDBACK_RATE_LIMIT`` per address, shared by every process through Redis but counted in
    the process's memory and reconciled in the background (``teams.ratelimit.hit_local``), so an
    answer never waits on Redis for it; per process when Redis is down.
    """
    limit, period = ratelimit.parse_rate(settings.FEEDBACK_RATE_LIMIT)
    return ratelimit.hit_local(f"feedback:{client_address(request)}", limit, period)


def _own_origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def origin_allowed(request: HttpRequest, survey: Survey) -> bool:
    origin = request.headers.get("Origin")
    if not origin:
        return True  # not a browser's cross-origin request (a server, curl, a same-origin GET)
    return origin in survey.allowed_origins or origin == _own_origin(request)


_JSON_ENDPOINT = re.compile(r"^/api/public/surveys/([^/]+)/")


def cors_origin_allowed(sender, request: HttpRequest, **kwargs) -> bool:
    """Let django-cors-headers answer a survey's allowed origins (``check_request_enabled``)."""
    match = _JSON_ENDPOINT.match(request.path_info)
    if match is None:
        return False
    survey, _questions = survey_cache.survey_definition(match[1][:32])
    return survey is not None and origin_allowed(request, survey)


def public_endpoint(methods: tuple[str, ...]):
    """Wrap a public JSON view: method, rate limit, survey lookup, origin, never the session.

    The CORS headers come from django-cors-headers (``cors_origin_allowed``).
    """

    def decorator(view):
        def guarded(request: HttpRequest, public_key: str, kwargs: dict) -> HttpResponse:
            survey, questions = survey_cache.survey_definition(public_key[:32])
            if survey is None:
                return _error(404, gettext("No such survey."), "not_found")
            if not origin_allowed(request, survey):
                return _error(
                    403,
                    gettext("This site may not embed the survey: add its origin to the survey."),
                    "origin_not_allowed",
                )
            # What ``cors_origin_allowed`` would answer (teams.middleware.CorsMiddleware reads it).
            request.cors_origin_allowed = True
            if request.method == "OPTIONS":  # not a preflight (django-cors-headers answers those)
                return HttpResponse(status=204)
            request.survey_questions = questions
            return view(request, survey, **kwargs)

        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, public_key: str, **kwargs):
            if request.method not in (*methods, "OPTIONS"):
                response = _error(
                    405,
                    gettext("Method “%(method)s” not allowed.") % {"method": request.method},
                    "method_not_allowed",
                )
                response["Allow"] = ", ".join((*methods, "OPTIONS"))
                return response
            # No round trip: the rate limit and the caches' versions are mirrored by a background thread.
            retry_after = rate_limit_retry_after(request)
            if retry_after is not None:
                response = _error(
                    429,
                    gettext("Too many requests. Try again in %(seconds)s s.") % {"seconds": retry_after},
                    "throttled",
                )
                response["Retry-After"] = str(retry_after)
                return response
            return guarded(request, public_key, kwargs)

        return wrapper

    return decorator


def _read_json(request: HttpRequest) -> tuple[object, JsonResponse | None]:
    limit = settings.FEEDBACK_MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None, _error(400, gettext("Content-Length is not a number."), "invalid")
    if declared > limit:
        return None, _too_large(limit)
    if request.content_type != "application/json":
        return None, _error(
            415,
            gettext("Send the body as application/json."),
            "unsupported_media_type",
            {"content_type": [gettext("Must be application/json.")]},
        )
    body = request.read(limit + 1)
    if len(body) > limit:
        return None, _too_large(limit)
    try:
        text = body.decode("utf-8")
        data = json.loads(text)
    except (ValueError, RecursionError, UnicodeDecodeError) as exc:
        return None, _error(
            400,
            gettext("The body is not valid JSON."),
            "parse_error",
            {"body": [gettext("Not valid JSON: %(reason)s") % {"reason": str(exc)[:100]}]},
        )
    # Only a \u escape can put a NUL or a lone surrogate into the decoded data: the strict parser
    # refuses raw control characters and UTF-8 decoding refuses encoded surrogates. Most bodies
    # have none, and skip the walk over every value.
    path = find_unstorable(data) if "\\u" in text else None
    if path:
        return None, _error(400, f"{path}: {UNSTORABLE_MESSAGE}", "invalid", {path: [UNSTORABLE_MESSAGE]})
    return data, None


def _too_large(limit: int) -> JsonResponse:
    return _error(
        413,
        gettext("The body is larger than %(limit)s bytes.") % {"limit": limit},
        "too_large",
        {"body": [gettext("At most %(limit)s bytes.") % {"limit": limit}]},
    )


def _invalid(errors: dict) -> JsonResponse:
    field, messages = next(iter(errors.items()))
    return _error(400, f"{field}: {messages[0]}", "invalid", errors)


# --- the survey as the respondent sees it ---------------------------------------------------


def available_locales(survey: Survey, questions: list[Question]) -> list[str]:
    locales = set(survey.title) | {survey.default_locale}
    for question in questions:
        locales |= set(question.text)
    return sorted(locales)


def choose_locale(request: HttpRequest, survey: Survey, questions: list[Question]) -> str:
    """Return the survey language closest to what the page or the browser asks for."""
    wanted = [request.GET.get("locale", "")]
    for part in request.headers.get("Accept-Language", "").split(",")[:8]:
        wanted.append(part.split(";")[0].strip())
    available = available_locales(survey, questions)
    for locale in filter(None, wanted):
        locale = locale.replace("_", "-")
        if locale in available:
            return locale
        if language_of(locale) in available:
            return language_of(locale)
    return survey.default_locale


def survey_definition_data(survey: Survey, questions: list[Question], locale: str) -> dict:
    """Return the survey in ``locale``: what the widget renders."""
    default = survey.default_locale
    return {
        "key": survey.public_key,
        "kind": survey.kind,
        "status": survey.status,
        "locale": locale,
        "dir": "rtl" if is_rtl(locale) else "ltr",
        "title": survey.text_for("title", locale) or survey.name,
        "thank_you": thank_you_text(survey, locale),
        "ui": ui_text(locale),
        "questions": [
            {
                "key": q.key,
                "kind": q.kind,
                "text": q.text_for(locale, default),
                "required": q.required,
                "min": q.scale[0] if q.scale else None,
                "max": q.scale[1] if q.scale else None,
                "choices": [
                    {"value": c["value"], "label": pick_text(c.get("label", {}), locale, default) or c["value"]}
                    for c in q.choices
                ],
            }
            for q in questions
        ],
    }


@public_endpoint(("GET",))
def survey_definition(request: HttpRequest, survey: Survey) -> HttpResponse:
    if survey.status == Survey.Status.DRAFT:
        return _error(404, gettext("No such survey."), "not_found")
    questions = request.survey_questions
    locale = choose_locale(request, survey, questions)
    # Built once per survey and language in each process (the widget's texts go through gettext).
    data = survey_cache.localized_definition(
        survey.public_key, locale, lambda: survey_definition_data(survey, questions, locale)
    )
    return JsonResponse(data)


@public_endpoint(("GET",))
def survey_eligibility(request: HttpRequest, survey: Survey) -> HttpResponse:
    respondent_id = request.GET.get("respondent_id", "")[:128]
    eligible, reason = services.respondent_eligibility(survey=survey, respondent_id=respondent_id)
    return JsonResponse({"eligible": eligible, "reason": reason})


@public_endpoint(("POST",))
def survey_displays(request: HttpRequest, survey: Survey) -> HttpResponse:
    data, error = _read_json(request)
    if error:
        return error
    if not isinstance(data, dict):
        return _invalid({"non_field_errors": [gettext("Send a JSON object.")]})
    errors = {}
    values = {}
    for key, limit in (("event", 10), ("respondent_id", 128), ("locale", 10), ("page_url", 500)):
        value = data.get(key, "shown" if key == "event" else "")
        if not isinstance(value, str) or len(value) > limit:
            errors[key] = [gettext("Must be a string of at most %(limit)s characters.") % {"limit": limit}]
        values[key] = value if isinstance(value, str) else ""
    if "event" not in errors and values["event"] not in Display.Event.values:
        errors["event"] = [gettext("Must be shown or dismissed.")]
    if errors:
        return _invalid(errors)
    if survey.status != Survey.Status.ACTIVE:
        return _error(
            409,
            gettext("This survey takes no answers now."),
            "survey_closed",
            {"survey": [gettext("The survey is not open.")]},
        )
    services.display_record(survey=survey, **values)
    return JsonResponse({"recorded": True}, status=201)


@public_endpoint(("POST",))
def survey_responses(request: HttpRequest, survey: Survey) -> HttpResponse:
    data, error = _read_json(request)
    if error:
        return error
    if isinstance(data, dict) and data.get("website"):
        # The honeypot: people never see the field; bots fill it. Say nothing useful, store nothing.
        return JsonResponse({"stored": False}, status=202)
    try:
        submission = parse_submission(data, user_agent=request.headers.get("User-Agent", ""))
        if submission.channel == Channel.API and "channel" not in data:
            submission.channel = Channel.WIDGET if request.headers.get("Origin") else Channel.API
        response, created = services.response_submit(
            survey=survey, submission=submission, questions=request.survey_questions
        )
    except SurveyClosed as exc:
        return _error(409, exc.errors["survey"][0], "survey_closed", exc.errors)
    except SubmissionInvalid as exc:
        return _invalid(exc.errors)
    except services.AlreadyFinished:
        return _error(
            409,
            gettext("This response is already finished; send a new submission_id."),
            "already_finished",
            {"submission_id": [gettext("Already finished.")]},
        )
    body = {
        "submission_id": response.submission_id,
        "created": created,
        "finished": response.finished,
        "score": response.score,
        "answers": response.answers,
    }
    return JsonResponse(body, status=201 if created else 200)


# --- the hosted page (link or iframe) and the email links -----------------------------------


def _framing(response: HttpResponse, survey: Survey) -> HttpResponse:
    """Let the survey's allowed origins (and only them) show the hosted page in an iframe."""
    # The rest of the site's Content-Security-Policy (config/settings.py) applies as on every page.
    response._csp_replace = {"frame-ancestors": ["'self'", *survey.allowed_origins]}
    return response


def _form_answers(post, questions: list[Question]) -> dict:
    answers = {}
    for question in questions:
        name = f"q_{question.key}"
        if question.kind == Question.Kind.MULTIPLE:
            values = post.getlist(name)
            if values:
                answers[question.key] = values
        elif post.get(name, "") != "":
            answers[question.key] = post.get(name)
    return answers


def _page_context(request, survey, questions, locale, **extra) -> dict:
    return {
        "survey": survey,
        "definition": survey_definition_data(survey, questions, locale),
        "questions": questions,
        "locale": locale,
        "ui": ui_text(locale),
        "submission_id": extra.pop("submission_id", None) or uuid.uuid4().hex,
        **extra,
    }


def _submit_form(request, survey, questions, *, channel: str, answers: dict) -> tuple[bool, dict]:
    """Store a form post; return ``(stored, errors)`` with errors keyed by question key."""
    if request.POST.get("website"):
        return True, {}
    data = {
        "submission_id": request.POST.get("submission_id", ""),
        "answers": answers,
        "finished": True,
        "locale": request.POST.get("locale", "")[:10],
        "respondent_id": request.POST.get("respondent_id", "")[:128],
        "channel": channel,
    }
    try:
        submission = parse_submission(data, user_agent=request.headers.get("User-Agent", ""))
        services.response_submit(survey=survey, submission=submission, questions=questions)
    except SubmissionInvalid as exc:
        return False, {key.removeprefix("answers."): msgs for key, msgs in exc.errors.items()}
    except services.AlreadyFinished:
        return True, {}
    return True, {}


def _guard_page(request: HttpRequest, public_key: str) -> tuple[Survey | None, HttpResponse | None]:
    if request.method == "POST":
        retry_after = rate_limit_retry_after(request)
        if retry_after is not None:
            response = HttpResponse(gettext("Too many requests. Please wait a minute and try again."), status=429)
            response["Retry-After"] = str(retry_after)
            return None, response
    survey = Survey.objects.filter(public_key=public_key[:32]).exclude(status=Survey.Status.DRAFT).first()
    if survey is None:
        return None, render(request, "feedback/public/missing.html", status=404)
    return survey, None


def _outside_audience(request: HttpRequest, survey: Survey, locale: str, respondent_id: str) -> HttpResponse | None:
    """Return the kind refusal when the survey has an audience and the respondent is not in it, else None.

    The widget's rule (``services.in_audience``, as its eligibility check applies it): the audience
    is a set of known profiles, so a link without a respondent id is outside it too. Nothing is
    stored, shown or counted for such a visit.
    """
    if survey.audience_id is None or services.in_audience(survey=survey, respondent_id=respondent_id):
        return None
    definition = {"dir": "rtl" if is_rtl(locale) else "ltr"}
    with translation.override(ui_language(locale)):
        response = render(
            request,
            "feedback/public/not_for_you.html",
            {"survey": survey, "locale": locale, "definition": definition},
            status=403,
        )
    response["Content-Language"] = locale
    return _framing(response, survey)


@csrf_exempt
@xframe_options_exempt
def survey_page(request: HttpRequest, public_key: str) -> HttpResponse:
    """The hosted survey: a plain form that works without JavaScript (HTMX makes it inline)."""
    if request.method not in ("GET", "POST"):
        response = HttpResponse(status=405)
        response["Allow"] = "GET, POST"
        return response
    survey, refused = _guard_page(request, public_key)
    if refused:
        return refused
    questions = list(survey.questions.all())
    locale = request.POST.get("locale") or choose_locale(request, survey, questions)
    respondent_id = (request.POST.get("respondent_id") or request.GET.get("respondent_id", ""))[:128]
    outside = _outside_audience(request, survey, locale, respondent_id)
    if outside:
        return outside
    context = _page_context(
        request, survey, questions, locale, respondent_id=request.GET.get("respondent_id", "")[:128]
    )
    status = 200
    if request.method == "POST" and survey.is_open:
        answers = _form_answers(request.POST, questions)
        with translation.override(ui_language(locale)):  # its errors, in the page's language
            stored, errors = _submit_form(request, survey, questions, channel=Channel.LINK, answers=answers)
        context.update(
            done=stored,
            errors=errors,
            values=answers,
            submission_id=request.POST.get("submission_id") or context["submission_id"],
            respondent_id=request.POST.get("respondent_id", "")[:128],
        )
        status = 200 if stored else 400
    template = (
        "feedback/public/survey_page.html#survey-form"
        if request.headers.get("HX-Request")
        else "feedback/public/survey_page.html"
    )
    # The page speaks the respondent's language (the survey's), not the visitor's interface one.
    with translation.override(ui_language(locale)):
        response = _framing(render(request, template, context, status=status), survey)
    response["Content-Language"] = locale
    return response


@csrf_exempt
def email_answer(request: HttpRequest, public_key: str, score: int) -> HttpResponse:
    """An NPS email link: GET shows the score chosen and asks to confirm; only the POST stores.

    Mail scanners and link previews fetch every link in a message; a GET that stored would
    invent an answer for each score.
    """
    if request.method not in ("GET", "POST"):
        response = HttpResponse(status=405)
        response["Allow"] = "GET, POST"
        return response
    survey, refused = _guard_page(request, public_key)
    if refused:
        return refused
    questions = list(survey.questions.all())
    primary = next((q for q in questions if q.is_primary and q.is_scored), None)
    if primary is None or not (primary.scale[0] <= score <= primary.scale[1]):
        return render(request, "feedback/public/missing.html", status=404)
    locale = request.POST.get("locale") or choose_locale(request, survey, questions)
    respondent_id = (request.POST.get("respondent_id") or request.GET.get("respondent_id", ""))[:128]
    outside = _outside_audience(request, survey, locale, respondent_id)
    if outside:
        return outside
    context = _page_context(
        request,
        survey,
        questions,
        locale,
        primary=primary,
        score=score,
        respondent_id=respondent_id,
        values={primary.key: score},
    )
    status = 200
    if request.method == "POST" and survey.is_open:
        answers = _form_answers(request.POST, questions)
        answers.setdefault(primary.key, score)
        with translation.override(ui_language(locale)):  # its errors, in the page's language
            stored, errors = _submit_form(request, survey, questions, channel=Channel.EMAIL, answers=answers)
        context.update(
            done=stored,
            errors=errors,
            values=answers,
            submission_id=request.POST.get("submission_id") or context["submission_id"],
        )
        status = 200 if stored else 400
    with translation.override(ui_language(locale)):
        response = render(request, "feedback/public/email_confirm.html", context, status=status)
    response["Content-Language"] = locale
    response["X-Robots-Tag"] = "noindex"
    return response


def email_link_urls(survey: Survey, base: str = "", respondent_id: str = "") -> list[tuple[int, str]]:
    """Return ``(score, url)`` for each NPS score, to paste into an email."""
    from urllib.parse import urlencode

    from django.urls import reverse

    primary = next((q for q in survey.questions.all() if q.is_primary and q.is_scored), None)
    if primary is None:
        return []
    query = f"?{urlencode({'respondent_id': respondent_id})}" if respondent_id else ""
    return [
        (score, f"{base}{reverse('feedback_public:email_answer', args=[survey.public_key, score])}{query}")
        for score in primary.scale_values
    ]


def validation_error_fields(exc: ValidationError) -> dict:
    return exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
