import json

from corsheaders.middleware import CorsMiddleware as BaseCorsMiddleware
from django.contrib.messages import get_messages
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext

SESSION_KEY = "waymark_team_id"


def default_membership(memberships: list):
    """Return the membership to work in when none is chosen in this session (a fresh login).

    The team the person last worked in, so they land where they left off; someone who has not
    worked in any yet lands in the team they joined first, their home team, not whichever
    team's name sorts first.
    """
    if not memberships:
        return None
    worked = [m for m in memberships if m.last_active_at is not None]
    if worked:
        return max(worked, key=lambda m: m.last_active_at)
    return min(memberships, key=lambda m: (m.created_at, m.pk))


def follow_team(request: HttpRequest, team_id: int) -> None:
    """Make ``team_id`` the current team of ``request`` and of the session from now on.

    Called by the team switcher and by every page of one team's object, so the header, the team
    menu and the next list page name the team whose map, survey or experiment is on screen.
    Does nothing for a team the person is not a member of (the object's view refuses it anyway).
    """
    current = getattr(request, "team", None)
    if current is not None and current.pk == team_id:
        return  # already there: no session write, no query, on every page of the current team
    membership = next((m for m in getattr(request, "memberships", []) if m.team_id == team_id), None)
    if membership is None:
        return
    request.membership = membership
    request.team = membership.team
    if request.session.get(SESSION_KEY) != team_id:
        request.session[SESSION_KEY] = team_id
        from .models import Membership

        membership.last_active_at = timezone.now()
        Membership.objects.filter(pk=membership.pk).update(last_active_at=membership.last_active_at)


class CurrentTeamMiddleware:
    """Set ``request.memberships`` and ``request.team``: the team the person is working in.

    The team is the one chosen in this session (the team switcher, or the team of the last
    object opened: ``follow_team``) while the person is still a member, otherwise
    ``default_membership``, or None for someone in no team.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.memberships = []
        request.team = None
        request.membership = None
        user = getattr(request, "user", None)
        # Public endpoints (survey submission) must not touch the session: test the path first.
        if not request.path.startswith("/api/public/") and user is not None and user.is_authenticated:
            from .models import Membership

            request.memberships = list(Membership.objects.filter(user=user).select_related("team"))
            chosen = request.session.get(SESSION_KEY)
            membership = next((m for m in request.memberships if m.team_id == chosen), None)
            if membership is None:
                membership = default_membership(request.memberships)
            if membership is not None:
                request.membership = membership
                request.team = membership.team
            # Fill the per-request role cache used by teams.access.role_for.
            user.__dict__["_waymark_roles"] = {m.team_id: m.role for m in request.memberships}
        return self.get_response(request)


class HtmxMessagesMiddleware:
    """Send Django messages to HTMX requests as an ``HX-Trigger`` ``messages`` event (toasts)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not getattr(request, "htmx", False):
            return response
        if 300 <= response.status_code < 400 or "HX-Redirect" in response or "HX-Location" in response:
            return response  # the messages will show on the next full page
        storage = get_messages(request)
        messages = [{"message": str(m.message), "tags": m.tags} for m in storage]
        if not messages:
            return response
        triggers = {}
        if "HX-Trigger" in response:
            try:
                triggers = json.loads(response["HX-Trigger"])
            except ValueError:
                triggers = {response["HX-Trigger"]: None}
        triggers["messages"] = messages
        response["HX-Trigger"] = json.dumps(triggers)
        return response


class UnstorableInputMiddleware:
    """Refuse query-string and form values the database cannot store with a 400, not a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from .text import UNSTORABLE_MESSAGE, find_unstorable

        try:
            params = {k: request.GET.getlist(k) for k in request.GET}
            if request.method == "POST" and request.content_type in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            ):
                params.update({k: request.POST.getlist(k) for k in request.POST})
        except (TooManyFieldsSent, TooManyFilesSent, RequestDataTooBig) as error:
            # Django refuses these with its HTML 400 page; an API client gets the API's error shape.
            if not request.path.startswith("/api/"):
                raise
            return JsonResponse({"detail": str(error), "code": "request_too_large", "errors": {}}, status=400)
        path = find_unstorable(params)
        if path:
            field = path.split("[")[0]
            return JsonResponse(
                {
                    "detail": f"{field}: {UNSTORABLE_MESSAGE}",
                    "code": "invalid",
                    "errors": {field: [UNSTORABLE_MESSAGE]},
                },
                status=400,
            )
        return self.get_response(request)


def _unreachable_errors() -> tuple[type[BaseException], ...]:
    from kombu.exceptions import OperationalError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return (RedisConnectionError, RedisTimeoutError, OperationalError)


class SharedServiceUnavailableMiddleware:
    """Answer a JSON 503 with Retry-After when an API request needs Redis (cache, broker) and it is down.

    Redis is a cache and a broker, not the system of record: the code paths of the API and the
    public endpoints fall back without it, and what still cannot be served says so in the API's
    error shape, never as an HTML 500.
    """

    RETRY_AFTER_SECONDS = 5

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith("/api/") or not isinstance(exception, _unreachable_errors()):
            return None
        import logging

        logging.getLogger(__name__).error("a shared service is unreachable: %s", exception, exc_info=exception)
        response = JsonResponse(
            {
                "detail": gettext("A service Waymark depends on is unavailable; try again shortly."),
                "code": "unavailable",
                "errors": {},
            },
            status=503,
        )
        response["Retry-After"] = str(self.RETRY_AFTER_SECONDS)
        return response


class LanguageMiddleware:
    """Speak the language the person or their team chose, over the browser's (see teams.languages)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.utils import translation

        from .languages import preferred_language

        language = preferred_language(request)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


class CorsMiddleware(BaseCorsMiddleware):
    """django-cors-headers, told by the view when it has already allowed the request's origin.

    The public survey endpoints look the survey up and check the origin against its allowed
    origins before they answer (``feedback.public``); they set ``request.cors_origin_allowed``, so
    the headers are added without sending ``check_request_enabled`` to every receiver, which would
    look the survey up again for each answer. Anything else, a refused origin included, goes
    through the signal as before.
    """

    def check_signal(self, request: HttpRequest) -> bool:
        if getattr(request, "cors_origin_allowed", False):
            return True
        return super().check_signal(request)
