from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.simple_tag
def optional_url(name: str, **kwargs) -> str:
    """Return the URL named ``name``, or "" while the app that serves it has no such page yet."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""


@register.filter
def lines(text: str) -> list[str]:
    """Split a one-per-line text field into its non-empty lines (leading bullets dropped)."""
    return [line.strip().lstrip("-•*").strip() for line in (text or "").splitlines() if line.strip(" -•*\t")]


@register.inclusion_tag("personas/_avatar.html")
def persona_avatar(persona, size: str = "md"):
    return {"persona": persona, "size": size}


@register.filter
def condition_parts(condition: dict) -> dict:
    """Return a trait condition's parts for display: trait, operator in words, value as text."""
    from personas.forms import TraitConditionForm
    from personas.rules import OPERATORS

    shown = TraitConditionForm.initial_for(condition)
    return {"trait": shown["trait"], "op": OPERATORS.get(shown["op"], shown["op"]), "value": shown["value"]}
