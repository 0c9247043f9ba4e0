"""Small helpers of the review templates."""

from django import template
from django.urls import NoReverseMatch
from django.utils.formats import number_format
from django.utils.translation import gettext

from analytics.query import duration_text

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


@register.filter
def pct(value) -> str:
    """Return a share (0–1) as a percentage with one decimal, in the reader's number format."""
    if value is None:
        return "–"
    return number_format(100 * value, 1)


@register.filter
def pp(value) -> str:
    """Return a difference of shares in percentage points, signed, one decimal."""
    if value is None:
        return "–"
    text = number_format(abs(100 * value), 1)
    return f"+{text}" if value > 0 else (f"−{text}" if value < 0 else text)


@register.filter
def duration_seconds(value) -> str:
    """Return a duration in seconds for people ("3.5 h"); the API gives the seconds themselves."""
    if value is None:
        return "–"
    return duration_text(value)
