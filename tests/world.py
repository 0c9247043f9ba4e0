"""One object of every team-scoped model, in one team: what the access test probes.

Each app's ``tests/<app>/world.py`` adds a builder for each of its models to its ``BUILDERS``
(in dependency order) and the URL keyword arguments its pages use to ``URL_KWARGS`` (and
``API_KWARGS`` for extra arguments of API actions). The access test fails, naming the model or
the argument, when a route needs something that is not here, so a new endpoint cannot go
unchecked.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from teams.models import ApiKey, Membership, Team
from teams.services import api_key_create

World = dict[type, object]
Builder = Callable[[World, dict], object]

BUILDERS: list[tuple[type, Builder]] = [
    (Team, lambda world, people: people["team"]),
    (Membership, lambda world, people: Membership.objects.get(team=people["team"], user=people["viewer"])),
    (
        ApiKey,
        lambda world, people: api_key_create(team=people["team"], actor=people["admin"], name="probe", scope="read")[0],
    ),
]

# UI URL keyword argument -> its value in the world.
URL_KWARGS: dict[str, Callable[[World], object]] = {
    "team_slug": lambda world: world[Team].slug,
    "membership_pk": lambda world: world[Membership].pk,
    "key_pk": lambda world: world[ApiKey].pk,
}

# API detail routes name their object ``pk``; extra keyword arguments of API actions go here.
API_KWARGS: dict[str, Callable[[World], object]] = {}

# Query strings a route needs to answer at all (an analysis needs its map or event): route name ->
# a function of the world returning the query string, appended when the access test probes it.
QUERIES: dict[str, Callable[[World], str]] = {}

for _app in (
    "webhooks",
    "personas",
    "journeys",
    "owners",
    "customers",
    "analytics",
    "feedback",
    "experiments",
    "automations",
    "discussions",
    "reviews",
    "search",
):
    try:
        _module = import_module(f"tests.{_app}.world")
    except ModuleNotFoundError as exc:
        if exc.name not in (f"tests.{_app}", f"tests.{_app}.world"):
            raise
        continue
    BUILDERS += getattr(_module, "BUILDERS", [])
    URL_KWARGS.update(getattr(_module, "URL_KWARGS", {}))
    API_KWARGS.update(getattr(_module, "API_KWARGS", {}))
    QUERIES.update(getattr(_module, "QUERIES", {}))


def build_world(people: dict) -> World:
    """Return one object of every team-scoped model; ``people`` has team, admin, editor, viewer."""
    world: World = {}
    for model, build in BUILDERS:
        world[model] = build(world, people)
    return world
