"""Small helpers of the review templates."""

from django import template
from django.urls import NoReverseMatch
from django.utils.translation import gettext

register = template.Library()


@register.filter
def safe_url(obj) -> str:
    """Return the object's page, or "" while the app that shows it has no such page."""
    try:
        return obj.get_absolute_url()
    except (NoReverseMatch, AttributeError):
        return ""


@register.filter
def person(user, empty: str | None = None) -> str:
    """Return a person's full name, else their username; ``empty`` (default "No owner") for nobody."""
    if user is None:
        return gettext("No owner") if empty is None else empty
    return user.get_full_name() or user.get_username()


@register.filter
def signed(value) -> str:
    """Return a number with its sign (+3.5, −2, 0)."""
    if value is None:
        return "–"
    if value > 0:
        return f"+{value:g}"
    if value < 0:
        return f"−{abs(value):g}"
    return "0"
