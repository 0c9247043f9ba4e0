"""Small template helpers of the feedback pages: dict lookups and figures with their n."""

from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None


@register.filter
def with_scale(question: dict) -> dict:
    """Add ``scale`` (the list of scores) to a question of the public definition."""
    if question.get("min") is not None:
        return {**question, "scale": list(range(question["min"], question["max"] + 1))}
    return question


@register.filter
def signed(value) -> str:
    if value is None:
        return "–"
    return f"{value:+.0f}" if value else "0"


@register.filter
def pick(texts, locale):
    """Return the text of ``texts`` ({locale: text}) in ``locale``, falling back sensibly."""
    from feedback.models import pick_text

    return pick_text(texts, locale or "en")
