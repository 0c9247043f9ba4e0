from django.urls import reverse

from personas import services
from personas.models import Persona, Scenario
from personas.templatetags.persona_tags import lines, optional_url
from tests.personas.conftest import png_bytes

HX = {"HTTP_HX_REQUEST": "true"}


def test_list_shows_the_current_teams_active_personas_with_counts(client_as, erin, shopper, team_b, oscar, draw_map):
    services.persona_create(team=team_b, actor=oscar, name="Team B persona")
    draw_map("Checkout journey", persona=shopper)
    response = client_as(erin).get(reverse("personas:list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Careful online shopper" in body
    assert "2 scenarios · 1 map" in body
    assert "Team B persona" not in body


def test_list_search_and_archived_filter_return_the_results_fragment(client_as, erin, shopper, team_a):
    services.persona_create(team=team_a, actor=erin, name="First-time loan applicant", role="Young family")
    archived = services.persona_create(team=team_a, actor=erin, name="Old persona")
    services.persona_archive(persona=archived, actor=erin)
    client = client_as(erin)

    response = client.get(reverse("personas:list"), {"search": "young"}, **HX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="persona-results"')
    assert "First-time loan applicant" in body and "Careful online shopper" not in body

    active = client.get(reverse("personas:list")).content.decode()
    assert "Old persona" not in active
    only_archived = client.get(reverse("personas:list"), {"archived": "true"}, **HX).content.decode()
    assert "Old persona" in only_archived and "Careful online shopper" not in only_archived


def test_list_empty_state_says_what_to_do_first(client_as, erin, victor):
    assert "Create the first persona" in client_as(erin).get(reverse("personas:list")).content.decode()
    body = client_as(victor).get(reverse("personas:list")).content.decode()
    assert "Ask an editor" in body and reverse("personas:create") not in body


def test_no_match_offers_to_clear_the_filters(client_as, erin, shopper):
    body = client_as(erin).get(reverse("personas:list"), {"search": "zebra"}).content.decode()
    assert "No personas match" in body


def test_list_queries_do_not_grow_with_personas(client_as, erin, team_a, django_assert_max_num_queries):
    client = client_as(erin)
    for i in range(30):
        persona = services.persona_create(team=team_a, actor=erin, name=f"Persona {i}")
        services.scenario_create(persona=persona, actor=erin, name="S")
    with django_assert_max_num_queries(9):
        response = client.get(reverse("personas:list"))
    assert response.content.decode().count('<li class="wm-persona-card') == 30


def test_editor_creates_a_persona_in_the_form(client_as, erin, team_a):
    response = client_as(erin).post(
        reverse("personas:create"),
        {"name": "Trust-seeking traveller", "market": "b2c", "avatar_color": "#c2410c", "goals": "Real stories"},
    )
    persona = Persona.objects.get(team=team_a, name="Trust-seeking traveller")
    assert response.status_code == 302 and response["Location"] == persona.get_absolute_url()
    assert (persona.goals, persona.avatar_color) == ("Real stories", "#c2410c")


def test_duplicate_name_is_shown_next_to_the_field(client_as, erin, shopper):
    response = client_as(erin).post(
        reverse("personas:create"), {"name": "careful online shopper", "market": "b2c", "avatar_color": "#000000"}
    )
    assert response.status_code == 400
    assert 'id="id_name-error"' in response.content.decode()
    assert Persona.objects.filter(name__iexact="careful online shopper").count() == 1


def test_viewer_cannot_open_the_create_form(client_as, victor):
    assert client_as(victor).get(reverse("personas:create")).status_code == 403


def test_photo_upload_is_validated(client_as, erin, shopper):
    client = client_as(erin)
    url = reverse("personas:edit", args=[shopper.pk])
    data = {"name": shopper.name, "market": "b2c", "avatar_color": "#6366f1", "revision": 1}
    not_an_image = {"photo": _upload("face.png", b"not an image")}
    response = client.post(url, {**data, **not_an_image})
    assert response.status_code == 400 and 'id="id_photo-error"' in response.content.decode()
    assert client.post(url, {**data, "photo": _upload("face.png", png_bytes())}).status_code == 302
    assert Persona.objects.get(pk=shopper.pk).photo.name.startswith("personas/")


def _upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="image/png")


def test_detail_shows_profile_scenarios_and_maps(client_as, victor, shopper, draw_map, django_assert_max_num_queries):
    scenario = shopper.scenarios.get(name="First order on mobile")
    draw_map("Checkout journey", persona=shopper, scenario=scenario)
    client = client_as(victor)
    with django_assert_max_num_queries(10):
        response = client.get(shopper.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert "<li>Delivery before the weekend</li>" in body
    assert "“I won&#x27;t pay until I know when it arrives.”" in body
    assert "Switching from the store" in body and "Checkout journey" in body
    assert "Edit persona" not in body  # a viewer reads only


def test_detail_of_another_teams_persona_is_404(client_as, oscar, shopper):
    assert client_as(oscar).get(shopper.get_absolute_url()).status_code == 404


def test_edit_based_on_a_stale_revision_shows_the_conflict_and_keeps_both_changes_safe(client_as, erin, alice, shopper):
    services.persona_update(persona=shopper, actor=alice, goals="Alice's goals")
    client = client_as(erin)
    url = reverse("personas:edit", args=[shopper.pk])
    form = {f: getattr(shopper, f) for f in ("name", "role", "market", "avatar_color", "quotes")}
    data = {**form, "goals": "Erin's goals", "revision": 1}
    response = client.post(url, data)
    body = response.content.decode()
    assert response.status_code == 409
    assert f"{alice.get_full_name()} changed this while you were editing" in body
    assert "Their version differs from yours in: Goals." in body
    assert "Erin&#x27;s goals" in body  # Erin's text is kept in the form
    assert Persona.objects.get(pk=shopper.pk).goals == "Alice's goals"
    assert 'name="revision" value="2"' in body
    assert client.post(url, {**data, "revision": 2}).status_code == 302
    assert Persona.objects.get(pk=shopper.pk).goals == "Erin's goals"


def test_archive_and_restore_from_the_page(client_as, erin, shopper):
    client = client_as(erin)
    response = client.post(reverse("personas:archive", args=[shopper.pk]), **HX)
    assert response.status_code == 200 and response["HX-Redirect"] == shopper.get_absolute_url()
    assert Persona.objects.get(pk=shopper.pk).archived
    assert "Archived." in client.get(shopper.get_absolute_url()).content.decode()
    client.post(reverse("personas:restore", args=[shopper.pk]))
    assert not Persona.objects.get(pk=shopper.pk).archived


def test_delete_asks_first_then_deletes(client_as, erin, shopper):
    client = client_as(erin)
    url = reverse("personas:delete", args=[shopper.pk])
    assert "its 2 scenarios for good" in client.get(url).content.decode()
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("personas:list")
    assert not Persona.objects.filter(pk=shopper.pk).exists()


def test_delete_is_refused_and_names_the_maps(client_as, erin, shopper, draw_map):
    draw_map("Checkout journey", persona=shopper)
    client = client_as(erin)
    url = reverse("personas:delete", args=[shopper.pk])
    page = client.get(url).content.decode()
    assert "cannot be deleted" in page and "Checkout journey" in page
    response = client.post(url)
    assert response.status_code == 400
    assert "“Checkout journey”" in response.content.decode()
    assert Persona.objects.filter(pk=shopper.pk).exists()


def test_scenario_is_added_inline_and_the_section_rerenders(client_as, erin, shopper):
    client = client_as(erin)
    url = reverse("personas:scenario_create", args=[shopper.pk])
    form = client.get(url, **HX).content.decode()
    assert form.lstrip().startswith("<form") and 'name="name"' in form
    response = client.post(
        url, {"name": "Buying for the office", "kind": "buying_for_team", "goal": "Ten chairs"}, **HX
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#scenario-section"
    assert "Buying for the office" in body and "First order on mobile" in body
    assert Scenario.objects.get(persona=shopper, name="Buying for the office").goal == "Ten chairs"


def test_invalid_scenario_comes_back_with_the_error_next_to_the_field(client_as, erin, shopper):
    url = reverse("personas:scenario_create", args=[shopper.pk])
    response = client_as(erin).post(url, {"name": "first order on MOBILE", "kind": "other"}, **HX)
    assert response.status_code == 400
    assert "already has a scenario" in response.content.decode()
    assert shopper.scenarios.count() == 2


def test_scenario_is_edited_inline(client_as, erin, shopper):
    scenario = shopper.scenarios.get(name="First order on mobile")
    url = reverse("personas:scenario_edit", args=[shopper.pk, scenario.pk])
    client = client_as(erin)
    assert 'value="First order on mobile"' in client.get(url, **HX).content.decode()
    response = client.post(url, {"name": "First order", "kind": "first_time", "revision": 1}, **HX)
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<article class="wm-scenario-card')
    assert Scenario.objects.get(pk=scenario.pk).name == "First order"
    card = client.get(reverse("personas:scenario_card", args=[shopper.pk, scenario.pk]), **HX)
    assert "First order" in card.content.decode()


def test_scenario_of_another_persona_is_404(client_as, erin, shopper, team_a):
    other = services.persona_create(team=team_a, actor=erin, name="Other")
    scenario = shopper.scenarios.first()
    url = reverse("personas:scenario_edit", args=[other.pk, scenario.pk])
    assert client_as(erin).get(url).status_code == 404


def test_scenario_delete_in_use_names_the_map_and_keeps_it(client_as, erin, shopper, draw_map):
    scenario = shopper.scenarios.get(name="First order on mobile")
    draw_map("Mobile checkout", persona=shopper, scenario=scenario)
    client = client_as(erin)
    response = client.post(reverse("personas:scenario_delete", args=[shopper.pk, scenario.pk]), **HX)
    assert response.status_code == 400
    assert "“Mobile checkout”" in response.content.decode()
    assert Scenario.objects.filter(pk=scenario.pk).exists()
    free = shopper.scenarios.get(name="Switching from the store")
    response = client.post(reverse("personas:scenario_delete", args=[shopper.pk, free.pk]), **HX)
    assert response.status_code == 200
    assert not Scenario.objects.filter(pk=free.pk).exists()


def test_optional_url_is_empty_for_a_page_that_does_not_exist():
    assert optional_url("journeys:no_such_page", map_pk=1) == ""
    assert optional_url("personas:detail", persona_pk=3) == "/personas/3/"


def test_lines_drop_blanks_and_bullets():
    assert lines("- one\n\n• two \n  three") == ["one", "two", "three"]
