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
