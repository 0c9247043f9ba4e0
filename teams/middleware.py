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
