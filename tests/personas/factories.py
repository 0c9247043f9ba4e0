"""Factories for personas and scenarios (tests that exercise the services call them instead)."""

import factory

from personas.models import Persona, Scenario
from tests.factories import TeamFactory


class PersonaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Persona

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"Persona {n}")
    summary = "Buys online after comparing delivery times."
    role = "Online shopper"


class ScenarioFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Scenario

    persona = factory.SubFactory(PersonaFactory)
    name = factory.Sequence(lambda n: f"Scenario {n}")
    kind = Scenario.Kind.FIRST_TIME
    goal = "Order before the weekend"
