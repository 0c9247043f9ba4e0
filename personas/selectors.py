"""Reads for the persona pages and the API, scoped to the principal's teams.

Journey maps are read through the reverse relation ``journey_maps`` (personas does not import
journeys: data flows one way).
"""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from teams.access import get_object_for_user

from .models import Persona, Scenario


def persona_list(*, user, team=None) -> QuerySet[Persona]:
    """Return the personas ``user`` may read (of ``team`` when given), with their counts."""
    personas = Persona.objects.for_user(user)
    if team is not None:
        personas = personas.for_team(team)
    return personas.select_related("team").annotate(
        scenario_count=Count("scenarios", distinct=True), map_count=Count("journey_maps", distinct=True)
    )


def persona_get(*, user, pk) -> Persona:
    """Return a persona ready for its profile page: scenarios (with map counts) and maps prefetched.

    Another team's persona is a 404.
    """
    journey_maps = Persona.journey_maps.rel.related_model.objects.select_related("scenario").order_by("title")
    queryset = (
        Persona.objects.for_user(user)
        .select_related("team")
        .prefetch_related(
            Prefetch("scenarios", queryset=scenario_list(user=user).order_by("name")),
            Prefetch("journey_maps", queryset=journey_maps),
        )
    )
    return get_object_for_user(queryset, user, pk=pk)


def scenario_list(*, user) -> QuerySet[Scenario]:
    """Return the scenarios ``user`` may read, with their persona and the number of maps drawn for them."""
    return Scenario.objects.for_user(user).select_related("persona").annotate(map_count=Count("journey_maps"))


def persona_profile_count(*, persona: Persona) -> int | None:
    """Return how many customer profiles are this persona now, or None without the customers app.

    Read through the reverse relation ``profiles`` (personas does not import customers).
    """
    relation = getattr(Persona, "profiles", None)
    if relation is None:
        return None
    return relation.rel.related_model.objects.filter(persona=persona, merged_into__isnull=True).count()
