from personas import demo
from personas.models import Persona, Scenario
from teams import demo as team_demo


def test_demo_seed_is_idempotent_and_returns_the_keys_journeys_uses(db):
    context = team_demo.seed()
    first = demo.seed(context)
    again = demo.seed(context)
    assert set(first["personas"]) == set(first["scenarios"]) == {"shopper", "borrower", "traveller"}
    assert first["personas"]["shopper"].pk == again["personas"]["shopper"].pk
    assert first["scenarios"]["borrower"].persona == first["personas"]["borrower"]
    assert Persona.objects.filter(team=context["team"]).count() == 3
    assert Scenario.objects.filter(persona__team=context["team"]).count() == 6
    assert "delivery" in first["personas"]["shopper"].obstacles.lower()


def test_zh_hant_demo_team_gets_its_own_personas_once_and_the_english_ones_stay(db):
    context = team_demo.seed()
    demo.seed(context)
    zh_context = team_demo.seed_zh_hant(context)
    first = demo.seed_zh_hant(zh_context)
    again = demo.seed_zh_hant(zh_context)
    zh_team = zh_context["team"]
    assert set(first["personas"]) == {"shopper", "buyer", "regular"}
    assert first["personas"]["buyer"].pk == again["personas"]["buyer"].pk
    assert all(p.team_id == zh_team.pk for p in first["personas"].values())
    assert Persona.objects.filter(team=zh_team).count() == 3
    assert Scenario.objects.filter(persona__team=zh_team).count() == 6
    assert Persona.objects.filter(team=context["team"]).count() == 3
    assert first["personas"]["shopper"].name == "重視質感的小資上班族"
    assert "到貨時間" in first["personas"]["shopper"].obstacles
    assert first["scenarios"]["buyer"].kind == Scenario.Kind.BUYING_FOR_TEAM
