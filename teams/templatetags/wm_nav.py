from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()

# The main navigation: (label, url name). An entry whose app has no such page yet is left out.
NAV = [
    ("Home", "home"),
    ("Maps", "journeys:map_list"),
    ("Personas", "personas:list"),
    ("Customers", "customers:profile_list"),
    ("Surveys", "feedback:survey_list"),
    ("Follow-ups", "feedback:my_followups"),
    ("Experiments", "experiments:list"),
    ("Reviews", "reviews:list"),
    ("My ownership", "journeys:my_ownership"),
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
