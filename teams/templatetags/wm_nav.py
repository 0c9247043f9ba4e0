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
