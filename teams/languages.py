"""Which language the interface speaks to a person, and how they choose it.

The order is the person's own choice, then their team's default, then the browser's
``Accept-Language`` (which Django's ``LocaleMiddleware`` has already applied). The API honours an
explicit ``Accept-Language`` first: an integration asks for the language of the errors it reads.
A signed-in person's choice is kept in the session, so a page costs no query to find it.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

SESSION_KEY = "waymark_language"
LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)


def stored_language(user) -> str:
    """Return the language ``user`` chose, or "" for none."""
    from .models import UserPreference

    return UserPreference.objects.filter(user=user).values_list("language", flat=True).first() or ""


def preferred_language(request: HttpRequest) -> str:
    """Return the language someone chose for this request, or "" to keep the browser's."""
    if request.path.startswith("/api/public/"):
        return ""  # anonymous respondents: surveys pick their own locale, and the session stays untouched
    if request.path.startswith("/api/") and request.headers.get("Accept-Language"):
        return ""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    language = request.session.get(SESSION_KEY)
    if language is None:
        language = stored_language(user)
        request.session[SESSION_KEY] = language
    if language in LANGUAGE_CODES:
        return language
    team = getattr(request, "team", None)
    if team is not None and team.language in LANGUAGE_CODES:
        return team.language
    return ""


@receiver(user_logged_in, dispatch_uid="waymark_language_on_login")
def _remember_language(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = stored_language(user)
