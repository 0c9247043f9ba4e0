"""axe-core on every main page: no serious or critical violation anywhere.

One walk over the demo data (seeded once) so every page has real content: a map with its board,
a survey with answers, follow-ups, experiments, a recorded review.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from automations.models import Automation
from experiments.models import Experiment, Metric
from feedback.models import Survey
from journeys.models import JourneyMap
from personas.models import Persona
from reviews.models import Review
from teams.models import Team
from tests.browser.axe import describe, violations


def _main_pages() -> list[tuple[str, str]]:
    team = Team.objects.get(slug="northwind")
    shop = JourneyMap.objects.get(team=team, title="Online furniture order")
    survey = Survey.objects.filter(team=team, status="active").order_by("pk").first()
    persona = Persona.objects.filter(team=team).order_by("pk").first()
    experiment = Experiment.objects.filter(team=team).exclude(result=None).order_by("pk").first()
    experiment = experiment or Experiment.objects.filter(team=team).order_by("pk").first()
    review = Review.objects.filter(journey_map__team=team).order_by("pk").first()
    return [
        ("dashboard", "/"),
        ("map list", "/maps/"),
        ("map page", f"/maps/{shop.pk}/"),
        ("map page, funnel layout", f"/maps/{shop.pk}/?layout=funnel"),
        ("map scores", f"/feedback/maps/{shop.pk}/scores/"),
        ("persona list", "/personas/"),
        ("persona page", f"/personas/{persona.pk}/"),
        ("surveys", "/feedback/"),
        ("survey results", f"/feedback/surveys/{survey.pk}/"),
        ("responses", "/feedback/responses/"),
        ("follow-ups", "/feedback/follow-ups/"),
        ("experiments", "/experiments/"),
        ("experiment page", f"/experiments/{experiment.pk}/"),
        ("automations", "/automations/"),
        ("automation page", f"/automations/{Automation.objects.filter(team=team).order_by('pk').first().pk}/"),
        ("reviews", "/reviews/"),
        ("review agenda", f"/reviews/maps/{shop.pk}/"),
        ("review minutes", f"/reviews/{review.pk}/"),
        ("webhooks", f"/teams/{team.slug}/webhooks/"),
        ("members", f"/teams/{team.slug}/members/"),
        ("hosted survey page", f"/api/public/surveys/{survey.public_key}/page/"),
        ("hosted survey page in Arabic", f"/api/public/surveys/{survey.public_key}/page/?locale=ar"),
    ]


def _more_pages() -> list[tuple[str, str]]:
    """The pages one step further: forms, history, owners, metrics, settings."""
    team = Team.objects.get(slug="northwind")
    shop = JourneyMap.objects.get(team=team, title="Online furniture order")
    empty = JourneyMap.objects.create(team=team, title="A map with no stages yet")
    survey = Survey.objects.filter(team=team, status="active").order_by("pk").first()
    metric = Metric.objects.filter(team=team).order_by("pk").first()
    return [
        ("map with no stages", f"/maps/{empty.pk}/"),
        ("new map", "/maps/new/"),
        ("map templates", "/maps/templates/"),
        ("save as a template", f"/maps/{shop.pk}/save-as-template/"),
        ("share links", f"/maps/{shop.pk}/share/"),
        ("swimlanes", f"/maps/{shop.pk}/swimlanes/"),
        ("lane settings", f"/maps/{shop.pk}/swimlanes/lanes/"),
        ("map history", f"/maps/{shop.pk}/history/"),
        ("map versions", f"/maps/{shop.pk}/versions/"),
        ("compare versions", f"/maps/{shop.pk}/compare/"),
        ("owners panel", f"/maps/{shop.pk}/owners/"),
        ("hand-offs", f"/maps/{shop.pk}/handoffs/"),
        ("SLA breaches", f"/maps/{shop.pk}/breaches/"),
        ("playbooks", f"/maps/{shop.pk}/playbooks/"),
        ("my ownership", "/maps/my-ownership/"),
        ("new persona", "/personas/new/"),
        ("survey builder", f"/feedback/surveys/{survey.pk}/edit/"),
        ("survey preview", f"/feedback/surveys/{survey.pk}/preview/"),
        ("themes", "/feedback/themes/"),
        ("new experiment", "/experiments/new/"),
        ("metrics", "/experiments/metrics/"),
        ("metric page", f"/experiments/metrics/{metric.pk}/"),
        ("action items", "/reviews/action-items/"),
        ("notifications", "/discussions/notifications/"),
        ("review settings", "/reviews/settings/"),
        ("team settings", f"/teams/{team.slug}/settings/"),
        ("API keys", f"/teams/{team.slug}/api-keys/"),
        ("new team", "/teams/new/"),
    ]


@pytest.mark.django_db(transaction=True)
def test_no_serious_or_critical_axe_violation_on_any_main_page(page, login):
    call_command("seed_demo", verbosity=0)
    found = {}
    missing = []
    page.on("response", lambda response: missing.append(response.url) if response.status == 404 else None)

    page.goto("/accounts/login/")
    found["login"] = violations(page)
    login(get_user_model().objects.get(username="demo"))
    for name, url in _main_pages() + _more_pages():
        response = page.goto(url)
        assert response.status == 200, f"{name} ({url}) answered {response.status}"
        page.wait_for_load_state("networkidle")
        found[f"{name} ({url})"] = violations(page)

    found = {where: items for where, items in found.items() if items}
    assert not found, "axe-core found serious or critical violations:\n" + describe(found)
    assert missing == []  # nothing a page loads is a 404: the favicon included


@pytest.mark.django_db(transaction=True)
def test_the_account_menu_is_named_by_its_visible_text(page, login, alice):
    login(alice)
    menu = page.locator("details.dropdown summary")
    # What is on screen is the username; the name a screen reader announces starts with it
    # (WCAG 2.5.3, label in name) and says what the control is.
    assert menu.evaluate("(el) => el.firstChild.textContent") == "alice"
    expect(menu).to_have_accessible_name(re.compile(r"^alice\b.*account menu"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1366, 390])
def test_hosted_survey_page_in_arabic_is_no_wider_than_the_screen(page, alice, team_a, width):
    from feedback import services

    survey = services.survey_create(
        team=team_a,
        actor=alice,
        name="Checkout NPS",
        kind="nps",
        title={"en": "How was checkout?", "ar": "كيف كانت تجربة الدفع؟"},
    )
    services.survey_set_status(survey=survey, actor=alice, status="active")
    page.set_viewport_size({"width": width, "height": 800})

    page.goto(f"/api/public/surveys/{survey.public_key}/page/?locale=ar")

    assert page.evaluate("() => document.documentElement.dir") == "rtl"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    # The honeypot is still in the form for bots, just out of sight.
    assert page.locator("input[name=website]").count() == 1
    box = page.locator(".wm-hp").bounding_box()
    assert box["width"] <= 1 and box["height"] <= 1 and 0 <= box["x"] <= width
