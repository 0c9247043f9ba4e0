"""Map templates: the built-in ones in the user's language, a team's own saved from a map, in the UI and the API."""

import pytest
from django.urls import reverse
from django.utils import translation

from journeys import services
from journeys.models import JourneyMap, MapTemplate, PainPoint, Stage, Touchpoint
from journeys.starters import STARTERS
from personas.models import Persona

HX = {"HTTP_HX_REQUEST": "true"}


def _shape(journey_map) -> list[tuple[str, list[str]]]:
    return [
        (stage.name, [tp.name for tp in stage.touchpoints.order_by("position", "id")])
        for stage in Stage.objects.filter(journey_map=journey_map).order_by("position")
    ]


@pytest.mark.parametrize("starter", STARTERS, ids=lambda s: s.key)
def test_every_builtin_template_makes_the_map_it_describes(team_a, erin, starter):
    journey_map = services.map_create_from_template(team=team_a, actor=erin, starter=starter.key)

    assert journey_map.title == str(starter.name)
    assert _shape(journey_map) == [(str(step.name), [str(p.name) for p in step.points]) for step in starter.steps]
    moments = Touchpoint.objects.filter(stage__journey_map=journey_map, is_moment=True)
    assert moments.count() == sum(1 for step in starter.steps for p in step.points if p.moment)
    assert PainPoint.objects.filter(touchpoint__stage__journey_map=journey_map).count() == sum(
        len(p.pains) for step in starter.steps for p in step.points
    )


def test_a_builtin_template_is_written_in_the_users_language(team_a, erin):
    with translation.override("lv"):
        journey_map = services.map_create_from_template(team=team_a, actor=erin, starter="b2c-ecommerce")
    names = [name for name, _ in _shape(journey_map)]
    assert names[0] == "Informētība"
    assert "Grozs" in _shape(journey_map)[2][1]
    assert journey_map.title != "B2C e-commerce"


def test_two_maps_from_one_template_get_their_own_keys(team_a, erin):
    first = services.map_create_from_template(team=team_a, actor=erin, starter="bank-loan")
    second = services.map_create_from_template(team=team_a, actor=erin, starter="bank-loan", title="Mortgage")
    assert second.title == "Mortgage"
    keys = lambda m: set(Touchpoint.objects.filter(stage__journey_map=m).values_list("key", flat=True))  # noqa: E731
    assert keys(first).isdisjoint(keys(second))


def test_saving_a_map_as_a_template_keeps_its_structure_and_leaves_its_evidence(team_a, erin, make_map):
    persona = Persona.objects.create(team=team_a, name="Ana")
    journey_map = make_map(stages=2, per_stage=2, pains=2)
    services.map_update(journey_map=journey_map, actor=erin, revision=None, persona=persona)
    fixed = PainPoint.objects.filter(touchpoint__stage__journey_map=journey_map).order_by("id").first()
    services.pain_point_update(pain_point=fixed, actor=erin, revision=None, status=PainPoint.Status.FIXED)

    template = services.map_template_create(journey_map=journey_map, actor=erin, name="  Checkout  ")

    assert (template.name, template.team_id, template.source_map_id) == ("Checkout", team_a.pk, journey_map.pk)
    assert template.document["map"]["persona"] is None
    assert (template.stage_count, template.touchpoint_count) == (2, 4)
    stages = template.document["stages"]
    assert sum(len(tp["pain_points"]) for st in stages for tp in st["touchpoints"]) == 7  # eight, one fixed
    assert "key" not in template.document["stages"][0]

    copy = services.map_create_from_template(team=team_a, actor=erin, template=template)
    assert _shape(copy) == _shape(journey_map)
    assert copy.title == "Checkout" and copy.persona_id is None
    assert PainPoint.objects.filter(touchpoint__stage__journey_map=copy).count() == 7


def test_a_viewer_cannot_save_or_use_templates(team_a, victor, make_map):
    from django.core.exceptions import PermissionDenied

    journey_map = make_map()
    with pytest.raises(PermissionDenied):
        services.map_template_create(journey_map=journey_map, actor=victor, name="No")
    with pytest.raises(PermissionDenied):
        services.map_create_from_template(team=team_a, actor=victor, starter="b2b-purchase")
    assert MapTemplate.objects.count() == 0


# --- pages --------------------------------------------------------------------------------------


def test_template_page_lists_builtin_and_team_templates(client_as, erin, team_a, django_assert_max_num_queries):
    MapTemplate.objects.create(team=team_a, name="Our onboarding", document={"stages": [{"touchpoints": [{}]}]})
    client = client_as(erin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("journeys:template_list"))
    assert response.status_code == 200
    html = response.content.decode()
    for starter in STARTERS:
        assert str(starter.name) in html
    assert "Our onboarding" in html


def test_using_a_template_from_the_page_creates_the_map_and_opens_it(client_as, erin, team_a):
    response = client_as(erin).post(
        reverse("journeys:template_use"), {"starter": "travel-booking", "title": "Summer trips"}, **HX
    )
    journey_map = JourneyMap.objects.get(team=team_a)
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("journeys:map_detail", args=[journey_map.pk])
    assert journey_map.title == "Summer trips"
    assert Stage.objects.filter(journey_map=journey_map).count() == 5


def test_using_no_template_or_an_unknown_one_is_a_form_error_and_creates_nothing(client_as, erin):
    client = client_as(erin)
    for data in ({"title": "x"}, {"starter": "no-such"}):
        response = client.post(reverse("journeys:template_use"), data)
        assert response.status_code == 400
        assert "wm-error" in response.content.decode()
    assert JourneyMap.objects.count() == 0


def test_save_as_template_page(client_as, erin, victor, make_map):
    journey_map = make_map()
    url = reverse("journeys:map_save_template", args=[journey_map.pk])
    page = client_as(erin).get(url)
    assert page.status_code == 200 and journey_map.title in page.content.decode()
    assert client_as(victor).post(url, {"name": "No"}).status_code == 403
    assert client_as(erin).post(url, {"name": ""}).status_code == 400
    response = client_as(erin).post(url, {"name": "Saved", "description": "For the next market"}, **HX)
    assert response.status_code == 200 and response["HX-Redirect"] == reverse("journeys:template_list")
    template = MapTemplate.objects.get()
    assert (template.name, template.description) == ("Saved", "For the next market")


def test_deleting_a_template_keeps_the_maps_started_from_it(client_as, erin, victor, oscar, team_a, make_map):
    template = services.map_template_create(journey_map=make_map(), actor=erin, name="T")
    copy = services.map_create_from_template(team=team_a, actor=erin, template=template)
    url = reverse("journeys:template_delete", args=[template.pk])
    assert client_as(oscar).post(url).status_code == 404
    assert client_as(victor).post(url).status_code == 403
    assert client_as(erin).post(url, **HX).status_code == 200
    assert not MapTemplate.objects.exists()
    assert JourneyMap.objects.filter(pk=copy.pk).exists()


# --- API ----------------------------------------------------------------------------------------


def test_api_lists_builtin_templates_in_the_request_language(api_as, erin):
    response = api_as(erin).get("/api/v1/map-templates/builtin/", HTTP_ACCEPT_LANGUAGE="bg")
    assert response.status_code == 200
    body = response.json()
    assert [row["key"] for row in body] == [s.key for s in STARTERS]
    assert body[0]["stages"][0] == "Осведоменост"
    assert body[0]["touchpoint_count"] == STARTERS[0].touchpoint_count


def test_api_saves_a_template_and_starts_a_map_from_it(api_as, erin, team_a, make_map):
    journey_map = make_map(stages=2, per_stage=1)
    client = api_as(erin)
    saved = client.post("/api/v1/map-templates/", {"map": journey_map.pk, "name": "Two steps"}, format="json")
    assert saved.status_code == 201, saved.json()
    assert saved.json()["stage_count"] == 2
    template = MapTemplate.objects.get(pk=saved.json()["id"])

    made = client.post(
        "/api/v1/map-templates/use/", {"team": team_a.pk, "template": template.pk, "title": "Copy"}, format="json"
    )
    assert made.status_code == 201, made.json()
    assert _shape(JourneyMap.objects.get(pk=made.json()["id"])) == _shape(journey_map)

    made = client.post("/api/v1/map-templates/use/", {"team": team_a.pk, "starter": "saas-onboarding"}, format="json")
    assert made.status_code == 201
    assert made.json()["title"] == "SaaS onboarding"


def test_api_refuses_bad_template_choices_naming_the_field(api_as, erin, oscar, team_a, team_b):
    client = api_as(erin)
    foreign = MapTemplate.objects.create(team=team_b, name="Theirs", document={})
    cases = [
        ({"team": team_a.pk}, "starter"),
        ({"team": team_a.pk, "starter": "nope"}, "starter"),
        ({"team": team_a.pk, "template": foreign.pk}, "template"),
        ({"starter": "bank-loan"}, "team"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/map-templates/use/", body, format="json")
        assert response.status_code == 400, body
        assert field in str(response.json()), (body, response.json())
    assert JourneyMap.objects.count() == 0
    assert client.post("/api/v1/map-templates/", {"name": "x"}, format="json").status_code == 400
