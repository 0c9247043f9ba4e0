import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.http import Http404

from personas import services
from personas.models import Persona, Scenario


def test_create_persona_with_scenarios_stores_every_row(shopper, team_a):
    stored = Persona.objects.get(team=team_a, name="Careful online shopper")
    assert stored.pk == shopper.pk
    assert stored.revision == 1
    assert list(stored.scenarios.values_list("name", "kind")) == [
        ("First order on mobile", "first_time"),
        ("Switching from the store", "other"),
    ]


def test_create_trims_text(team_a, erin):
    persona = services.persona_create(team=team_a, actor=erin, name="  Borrower  ", summary=" Needs a loan ")
    persona.refresh_from_db()
    assert (persona.name, persona.summary) == ("Borrower", "Needs a loan")


def test_persona_names_are_unique_per_team_ignoring_case(shopper, team_a, team_b, erin, oscar):
    with pytest.raises(ValidationError) as exc:
        services.persona_create(team=team_a, actor=erin, name="CAREFUL online SHOPPER")
    assert "already has a persona" in exc.value.message_dict["name"][0]
    assert Persona.objects.filter(team=team_a).count() == 1
    other = services.persona_create(team=team_b, actor=oscar, name="Careful online shopper")
    assert other.team == team_b


def test_database_refuses_a_duplicate_name_that_skips_the_service(shopper, team_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        Persona.objects.create(team=team_a, name="careful ONLINE shopper")


def test_a_lost_unique_race_becomes_a_field_error(shopper, team_a, erin, monkeypatch):
    # Simulate the other writer committing between our check and our insert.
    monkeypatch.setattr(services, "_persona_name_taken", lambda *args, **kwargs: False)
    with pytest.raises(ValidationError) as exc:
        services.persona_create(team=team_a, actor=erin, name="Careful online shopper")
    assert "name" in exc.value.message_dict
    assert Persona.objects.filter(team=team_a).count() == 1


def test_failed_scenario_rolls_back_the_whole_create(team_a, erin):
    with pytest.raises(ValidationError):
        services.persona_create(team=team_a, actor=erin, name="Half", scenarios=[{"name": "Same"}, {"name": "same"}])
    assert not Persona.objects.filter(name="Half").exists()
    assert not Scenario.objects.filter(name__iexact="same").exists()


def test_scenario_names_are_unique_per_persona(shopper, team_a, erin):
    with pytest.raises(ValidationError) as exc:
        services.scenario_create(persona=shopper, actor=erin, name="first ORDER on mobile")
    assert "already has a scenario" in exc.value.message_dict["name"][0]
    other = services.persona_create(team=team_a, actor=erin, name="Borrower")
    assert services.scenario_create(persona=other, actor=erin, name="First order on mobile").persona == other


def test_viewer_cannot_create_or_change(shopper, team_a, victor, oscar):
    with pytest.raises(PermissionDenied):
        services.persona_create(team=team_a, actor=victor, name="Nope")
    with pytest.raises(PermissionDenied):
        services.persona_update(persona=shopper, actor=victor, name="Renamed")
    with pytest.raises(Http404):
        services.scenario_create(persona=shopper, actor=oscar, name="Outsider")
    shopper.refresh_from_db()
    assert shopper.name == "Careful online shopper"
    assert not Persona.objects.filter(name="Nope").exists()


def test_bad_colour_is_a_field_error(team_a, erin):
    with pytest.raises(ValidationError) as exc:
        services.persona_create(team=team_a, actor=erin, name="Red", avatar_color="red")
    assert "avatar_color" in exc.value.message_dict
    assert not Persona.objects.filter(name="Red").exists()


def test_update_changes_fields_raises_revision_and_records_who(shopper, erin):
    services.persona_update(persona=shopper, actor=erin, revision=1, goals="Know the delivery date")
    stored = Persona.objects.get(pk=shopper.pk)
    assert (stored.goals, stored.revision) == ("Know the delivery date", 2)
    assert stored.history.first().history_user == erin


def test_update_without_a_change_keeps_the_revision(shopper, erin):
    services.persona_update(persona=shopper, actor=erin, revision=1, name="Careful online shopper")
    assert Persona.objects.get(pk=shopper.pk).revision == 1


def test_update_based_on_a_stale_revision_is_refused_and_loses_nothing(shopper, erin, alice):
    services.persona_update(persona=shopper, actor=alice, revision=1, goals="Alice's goals")
    with pytest.raises(services.StaleRevision) as exc:
        services.persona_update(persona=Persona.objects.get(pk=shopper.pk), actor=erin, revision=1, goals="Erin's")
    assert exc.value.current.revision == 2
    assert Persona.objects.get(pk=shopper.pk).goals == "Alice's goals"


def test_renaming_to_a_taken_name_is_a_field_error(shopper, team_a, erin):
    other = services.persona_create(team=team_a, actor=erin, name="Borrower")
    with pytest.raises(ValidationError) as exc:
        services.persona_update(persona=other, actor=erin, name="careful online shopper")
    assert "name" in exc.value.message_dict
    assert Persona.objects.get(pk=other.pk).name == "Borrower"


def test_archive_and_restore(shopper, erin):
    services.persona_archive(persona=shopper, actor=erin)
    assert Persona.objects.get(pk=shopper.pk).archived is True
    assert not Persona.objects.active().filter(pk=shopper.pk).exists()
    services.persona_restore(persona=shopper, actor=erin)
    assert Persona.objects.get(pk=shopper.pk).archived is False


def test_delete_removes_persona_and_scenarios(shopper, erin):
    services.persona_delete(persona=shopper, actor=erin)
    assert not Persona.objects.filter(pk=shopper.pk).exists()
    assert not Scenario.objects.filter(persona_id=shopper.pk).exists()


def test_delete_is_refused_naming_the_maps_drawn_for_the_persona(shopper, erin, draw_map):
    draw_map("Checkout journey", persona=shopper)
    with pytest.raises(ValidationError) as exc:
        services.persona_delete(persona=shopper, actor=erin)
    assert "“Checkout journey”" in exc.value.messages[0]
    assert Persona.objects.filter(pk=shopper.pk).exists()


def test_delete_is_refused_when_a_map_uses_one_of_its_scenarios(shopper, erin, draw_map):
    scenario = shopper.scenarios.get(name="First order on mobile")
    draw_map("Mobile first order", scenario=scenario)
    with pytest.raises(ValidationError) as exc:
        services.persona_delete(persona=shopper, actor=erin)
    assert "Mobile first order" in exc.value.messages[0]
    assert Scenario.objects.filter(pk=scenario.pk).exists()


def test_protected_error_is_the_backstop_when_a_map_appears_after_the_check(shopper, erin, draw_map, monkeypatch):
    draw_map("Late map", persona=shopper)
    monkeypatch.setattr(services, "maps_using", lambda **kwargs: [])
    with pytest.raises(ValidationError) as exc:
        services.persona_delete(persona=shopper, actor=erin)
    assert "Late map" in exc.value.messages[0]
    assert Persona.objects.filter(pk=shopper.pk).exists()
    assert shopper.scenarios.count() == 2


def test_scenario_delete_is_refused_while_a_map_uses_it(shopper, erin, draw_map):
    scenario = shopper.scenarios.get(name="First order on mobile")
    draw_map("Mobile first order", persona=shopper, scenario=scenario)
    with pytest.raises(ValidationError) as exc:
        services.scenario_delete(scenario=scenario, actor=erin)
    assert "Mobile first order" in exc.value.messages[0]
    free = shopper.scenarios.get(name="Switching from the store")
    services.scenario_delete(scenario=free, actor=erin)
    assert list(shopper.scenarios.values_list("name", flat=True)) == ["First order on mobile"]


def test_scenario_update_refuses_a_stale_revision(shopper, erin, alice):
    scenario = shopper.scenarios.get(name="First order on mobile")
    services.scenario_update(scenario=scenario, actor=alice, revision=1, goal="A")
    with pytest.raises(services.StaleRevision):
        services.scenario_update(scenario=scenario, actor=erin, revision=1, goal="B")
    assert Scenario.objects.get(pk=scenario.pk).goal == "A"


def test_photo_is_stored_and_can_be_removed(shopper, erin, png):
    services.persona_update(persona=shopper, actor=erin, photo=png)
    assert Persona.objects.get(pk=shopper.pk).photo.name.startswith("personas/face")
    services.persona_update(persona=shopper, actor=erin, photo=False)
    assert Persona.objects.get(pk=shopper.pk).photo.name == ""


def test_photo_over_2_mb_or_of_another_type_is_refused(shopper, erin):
    big = SimpleUploadedFile("big.png", b"0" * (2 * 1024 * 1024 + 1), content_type="image/png")
    with pytest.raises(ValidationError) as exc:
        services.persona_update(persona=shopper, actor=erin, photo=big)
    assert "2 MB" in exc.value.message_dict["photo"][0]
    gif = SimpleUploadedFile("face.gif", b"GIF89a", content_type="image/gif")
    with pytest.raises(ValidationError) as exc:
        services.persona_update(persona=shopper, actor=erin, photo=gif)
    assert "photo" in exc.value.message_dict
    assert Persona.objects.get(pk=shopper.pk).photo.name == ""


@pytest.mark.parametrize(
    ("name", "colour", "initials", "text"),
    [("Careful online shopper", "#0f766e", "CO", "#ffffff"), ("ana", "#fde68a", "A", "#111827")],
)
def test_avatar_initials_and_readable_text_colour(name, colour, initials, text):
    persona = Persona(name=name, avatar_color=colour)
    assert (persona.initials, persona.avatar_text_color) == (initials, text)
