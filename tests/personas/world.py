"""The personas app's part of the access-test world (see tests/world.py)."""

from personas import services
from personas.models import Persona, Scenario

BUILDERS = [
    (
        Persona,
        lambda world, people: services.persona_create(
            team=people["team"], actor=people["editor"], name="Probe persona"
        ),
    ),
    (
        Scenario,
        lambda world, people: services.scenario_create(
            persona=world[Persona], actor=people["editor"], name="Probe scenario"
        ),
    ),
]

URL_KWARGS = {
    "persona_pk": lambda world: world[Persona].pk,
    "scenario_pk": lambda world: world[Scenario].pk,
    "name": lambda world: "personas/probe.png",  # /media/<name>: an uploaded file
}
