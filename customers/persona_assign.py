"""Which persona each profile is: the first persona (by priority) whose trait rules its traits meet.

Kept current in two places, both set-wise:

- when traits change (identify, a merge), in the same transaction, by
  ``persona_assign_for_profiles``: one query for the team's personas per call (a request's
  batch of events makes one call), one for the profiles, one UPDATE per persona that changes;
- when a persona's rules, priority or archived state change, by the task
  ``customers.tasks.profiles_persona_assign`` (``profiles_persona_assign`` below), which walks the
  team's profiles in batches.

The evaluation itself is ``personas.rules.persona_for`` (pure, tested on its own).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction

from personas.models import Persona
from personas.rules import ordered, persona_for

from .models import Profile

logger = logging.getLogger(__name__)


def team_personas(team_id: int) -> list[Persona]:
    """Return the team's active personas that have rules, in the order they are tried (one query)."""
    rows = Persona.objects.filter(team_id=team_id, archived=False).only("id", "team_id", "priority", "trait_rules")
    return ordered(rows)


def _assign(rows: Iterable[tuple[int, dict, int | None]], personas: list[Persona]) -> int:
    """Update the rows ``(id, traits, persona_id)`` whose persona differs; one UPDATE per persona."""
    moves: dict[int | None, list[int]] = defaultdict(list)
    for pk, traits, current in rows:
        match = persona_for(traits or {}, personas, presorted=True)
        wanted = match.pk if match is not None else None
        if wanted != current:
            moves[wanted].append(pk)
    for persona_id, ids in moves.items():
        Profile.objects.filter(pk__in=ids).update(persona_id=persona_id)
    return sum(len(ids) for ids in moves.values())


def persona_assign_for_profiles(
    team_id: int, profile_ids: Iterable[int], *, personas: list[Persona] | None = None
) -> int:
    """Give each of these profiles the persona its traits meet now; return how many changed.

    Call it in the transaction that changed their traits (the rows are locked there already).
    ``personas``: the team's personas from ``team_personas``, when the caller has them.
    Merged profiles are left alone: they hold no traits and are not listed.
    """
    ids = sorted(set(profile_ids))
    if not ids:
        return 0
    if personas is None:
        personas = team_personas(team_id)
    rows = Profile.objects.filter(team_id=team_id, pk__in=ids, merged_into__isnull=True).values_list(
        "id", "traits", "persona_id"
    )
    return _assign(rows, personas)


def profiles_persona_assign(*, team_id: int, batch_size: int | None = None) -> int:
    """Reassign every profile of the team after its persona rules changed; return how many changed.

    In batches by id, each its own short transaction that locks its rows (a concurrent identify
    waits, or is waited for, and the later of the two reads the other's result). Idempotent: a
    second run changes nothing.
    """
    batch_size = batch_size or settings.CUSTOMERS_PERSONA_BATCH_SIZE
    personas = team_personas(team_id)
    changed, after = 0, 0
    base = Profile.objects.filter(team_id=team_id, merged_into__isnull=True)
    if not personas:
        # No rules left: clear everyone in one statement instead of walking the table.
        return base.exclude(persona__isnull=True).update(persona=None)
    while True:
        with transaction.atomic():
            rows = list(
                base.filter(pk__gt=after)
                .order_by("pk")
                .select_for_update()
                .values_list("id", "traits", "persona_id")[:batch_size]
            )
            if not rows:
                break
            changed += _assign(rows, personas)
        after = rows[-1][0]
    logger.info("customers: team %s persona reassignment changed %d profiles", team_id, changed)
    return changed


def on_rules_changed(*, team_id: int) -> None:
    """Reassign the team's profiles after the commit (registered with personas.extensions)."""

    def enqueue() -> None:
        from .tasks import profiles_persona_assign as task

        try:
            task.delay(team_id)
        except Exception:
            # The broker is down: the next identify of each customer assigns them; a rule
            # change saved again (or the task run by hand) catches up everyone.
            logger.warning("customers: could not queue persona reassignment for team %s", team_id, exc_info=True)

    transaction.on_commit(enqueue)
