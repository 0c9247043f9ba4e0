from personas import services
from personas.models import Persona, Scenario

URL = "/api/v1/personas/"
SCENARIOS = "/api/v1/scenarios/"


def test_integration_reads_personas_and_scenarios_with_a_key(key_client, shopper):
    client = key_client(scope="read")
    body = client.get(URL).json()
    assert body["count"] == 1
    row = body["results"][0]
    assert (row["name"], row["scenario_count"], row["map_count"]) == ("Careful online shopper", 2, 0)
    assert {s["name"] for s in row["scenarios"]} == {"First order on mobile", "Switching from the store"}
    scenarios = client.get(SCENARIOS, {"persona": shopper.pk}).json()["results"]
    assert [s["name"] for s in scenarios] == ["First order on mobile", "Switching from the store"]
    detail = client.get(f"{URL}{shopper.pk}/")
    assert detail.status_code == 200 and detail["ETag"] == '"1"'


def test_list_filters_by_team_archived_market_and_search(api_as, erin, shopper, team_a, team_b):
    archived = services.persona_create(team=team_a, actor=erin, name="Old", market="b2b")
    services.persona_archive(persona=archived, actor=erin)
    client = api_as(erin)

    def names(**params):
        return [r["name"] for r in client.get(URL, params).json()["results"]]

    assert names() == ["Careful online shopper", "Old"]
    assert names(archived="false") == ["Careful online shopper"]
    assert names(archived="true") == ["Old"]
    assert names(market="b2b") == ["Old"]
    assert names(search="weekend") == ["Careful online shopper"]
    assert names(team=team_b.pk) == []
    assert names(ordering="-name") == ["Old", "Careful online shopper"]


def test_outsider_sees_none_of_the_team(api_as, oscar, shopper):
    client = api_as(oscar)
    assert client.get(URL).json()["count"] == 0
    assert client.get(f"{URL}{shopper.pk}/").status_code == 404
    assert client.get(SCENARIOS).json()["count"] == 0


def test_list_queries_do_not_grow(api_as, erin, team_a, django_assert_max_num_queries):
    for i in range(20):
        persona = services.persona_create(team=team_a, actor=erin, name=f"P{i}")
        services.scenario_create(persona=persona, actor=erin, name="S")
    client = api_as(erin)
    with django_assert_max_num_queries(6):
        assert client.get(URL).json()["count"] == 20
    with django_assert_max_num_queries(6):
        assert client.get(SCENARIOS).json()["count"] == 20


def test_key_with_write_scope_creates_a_persona_and_scenario(key_client, team_a):
    client = key_client()
    response = client.post(URL, {"team": team_a.pk, "name": "Borrower", "goals": "Clear terms"}, format="json")
    assert response.status_code == 201, response.json()
    persona = Persona.objects.get(team=team_a, name="Borrower")
    assert response.json()["id"] == persona.pk and persona.goals == "Clear terms"
    response = client.post(SCENARIOS, {"persona": persona.pk, "name": "Online application"}, format="json")
    assert response.status_code == 201 and response.json()["team"] == team_a.pk
    assert persona.scenarios.get().name == "Online application"


def test_viewer_cannot_create(api_as, victor, team_a):
    response = api_as(victor).post(URL, {"team": team_a.pk, "name": "Nope"}, format="json")
    assert response.status_code == 403
    assert not Persona.objects.filter(name="Nope").exists()


def test_bad_input_is_a_400_naming_the_field(api_as, erin, shopper, team_a):
    client = api_as(erin)
    duplicate = client.post(URL, {"team": team_a.pk, "name": "careful ONLINE shopper"}, format="json")
    assert duplicate.status_code == 400 and "name" in duplicate.json()["errors"]
    colour = client.post(URL, {"team": team_a.pk, "name": "X", "avatar_color": "red"}, format="json")
    assert colour.status_code == 400 and "avatar_color" in colour.json()["errors"]
    market = client.post(URL, {"team": team_a.pk, "name": "Y", "market": "b2g"}, format="json")
    assert market.status_code == 400 and "market" in market.json()["errors"]
    assert Persona.objects.filter(team=team_a).count() == 1


def test_scenario_for_another_teams_persona_does_not_exist(api_as, oscar, shopper):
    response = api_as(oscar).post(SCENARIOS, {"persona": shopper.pk, "name": "Sneaky"}, format="json")
    assert response.status_code == 400 and "persona" in response.json()["errors"]
    assert not Scenario.objects.filter(name="Sneaky").exists()


def test_patch_with_a_stale_if_match_is_a_409_and_changes_nothing(api_as, erin, alice, shopper):
    services.persona_update(persona=shopper, actor=alice, goals="Alice's")
    client = api_as(erin)
    response = client.patch(f"{URL}{shopper.pk}/", {"goals": "Erin's"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 409 and response.json()["revision"] == 2
    assert Persona.objects.get(pk=shopper.pk).goals == "Alice's"
    response = client.patch(f"{URL}{shopper.pk}/", {"goals": "Erin's"}, format="json", HTTP_IF_MATCH='"2"')
    assert response.status_code == 200 and response["ETag"] == '"3"'
    assert Persona.objects.get(pk=shopper.pk).goals == "Erin's"


def test_persona_cannot_move_to_another_team(api_as, alice, shopper, team_b, oscar):
    from teams.models import Membership, Role

    Membership.objects.create(team=team_b, user=alice, role=Role.ADMIN)
    response = api_as(alice).patch(f"{URL}{shopper.pk}/", {"team": team_b.pk}, format="json")
    assert response.status_code == 400 and "team" in response.json()["errors"]
    assert Persona.objects.get(pk=shopper.pk).team_id != team_b.pk


def test_archive_and_restore_actions(api_as, erin, shopper):
    client = api_as(erin)
    response = client.post(f"{URL}{shopper.pk}/archive/")
    assert response.status_code == 200 and response.json()["archived"] is True
    assert Persona.objects.get(pk=shopper.pk).archived
    assert client.post(f"{URL}{shopper.pk}/restore/").json()["archived"] is False


def test_delete_in_use_is_a_400_naming_the_maps(api_as, erin, shopper, draw_map):
    draw_map("Checkout journey", persona=shopper)
    client = api_as(erin)
    response = client.delete(f"{URL}{shopper.pk}/")
    assert response.status_code == 400 and "Checkout journey" in response.json()["detail"]
    assert Persona.objects.filter(pk=shopper.pk).exists()
    scenario = shopper.scenarios.first()
    assert client.delete(f"{SCENARIOS}{scenario.pk}/").status_code == 204
    assert not Scenario.objects.filter(pk=scenario.pk).exists()


def test_scenario_cannot_move_to_another_persona(api_as, erin, shopper, team_a):
    other = services.persona_create(team=team_a, actor=erin, name="Other")
    scenario = shopper.scenarios.first()
    response = api_as(erin).patch(f"{SCENARIOS}{scenario.pk}/", {"persona": other.pk}, format="json")
    assert response.status_code == 400 and "persona" in response.json()["errors"]


def test_schema_documents_every_persona_endpoint(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    for path, methods in schema["paths"].items():
        if path.startswith(("/api/v1/personas/", "/api/v1/scenarios/")):
            for method, operation in methods.items():
                assert operation.get("summary"), f"{method.upper()} {path} has no summary"


def test_out_of_range_or_malformed_ids_are_400_and_404_not_500(api_as, erin, shopper):
    client = api_as(erin)
    response = client.get(URL, {"team": "99999999999999999999"})
    assert response.status_code == 400 and "team" in response.json()["errors"]
    response = client.get(SCENARIOS, {"persona": "-3.4e38"})
    assert response.status_code == 400 and "persona" in response.json()["errors"]
    response = client.post(f"{URL}0.5/archive/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
