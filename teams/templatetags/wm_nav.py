from dataclasses import dataclass

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

register = template.Library()

# The main navigation: (label, url name). An entry whose app has no such page yet is left out.
NAV = [
    (_("Home"), "home"),
    (_("Maps"), "journeys:map_list"),
    (_("Personas"), "personas:list"),
    (_("Customers"), "customers:profile_list"),
    (_("Analytics"), "analytics:funnels"),
    (_("Surveys"), "feedback:survey_list"),
    (_("Follow-ups"), "feedback:my_followups"),
    (_("Experiments"), "experiments:list"),
    (_("Reviews"), "reviews:list"),
    (_("My ownership"), "owners:my_ownership"),
]


@register.simple_tag(takes_context=True)
def nav_links(context) -> list[dict]:
    request = context.get("request")
    path = request.path if request else ""
    links = []
    for label, name in NAV:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        active = path == url if url == "/" else path.startswith(url)
        links.append({"label": label, "url": url, "active": active})
    return links


@dataclass(frozen=True)
class TeamTab:
    """A tab of a team's pages: its key (the page's ``active``), label and URL name (taking the slug)."""

    key: str
    label: str
    url_name: str
    admins_only: bool = False


# The tabs of a team's pages. An app that adds a page there appends its tab from its
# AppConfig.ready(), since teams cannot import the apps built on it.
TEAM_TABS: list[TeamTab] = [
    TeamTab("members", _("Members"), "teams:members"),
    TeamTab("settings", _("Settings"), "teams:settings"),
    TeamTab("keys", _("API keys"), "teams:api_keys", admins_only=True),
]


@register.simple_tag(takes_context=True)
def team_tabs(context, team) -> list[dict]:
    """Return the tabs of ``team``'s pages the current person may open."""
    is_admin = context.get("is_team_admin", False)
    return [
        {"key": tab.key, "label": tab.label, "url": reverse(tab.url_name, args=[team.slug])}
        for tab in TEAM_TABS
        if is_admin or not tab.admins_only
    ]
