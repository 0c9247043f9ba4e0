import json

from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse, JsonResponse

SESSION_KEY = "waymark_team_id"


class CurrentTeamMiddleware:
    """Set ``request.memberships`` and ``request.team``: the team the person is working in.

    The team is the one chosen in the team switcher (kept in the session) while the person is
    still a member, otherwise their first team, or None for someone in no team.
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
            if membership is None and request.memberships:
                membership = request.memberships[0]
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

        params = {k: request.GET.getlist(k) for k in request.GET}
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            params.update({k: request.POST.getlist(k) for k in request.POST})
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
                "detail": "A service Waymark depends on is unavailable; try again shortly.",
                "code": "unavailable",
                "errors": {},
            },
            status=503,
        )
        response["Retry-After"] = str(self.RETRY_AFTER_SECONDS)
        return response
