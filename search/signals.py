"""Index personas, scenarios, experiments and playbooks as they are saved; drop them as they go.

Each receiver writes one entry in the sender's transaction, so a rolled-back save leaves no entry
behind. Maps and answers are kept by search/indexing.py's sync instead (it says why).
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from experiments.models import Experiment
from feedback.models import Response
from owners.models import Playbook
from personas.models import Persona, Scenario

from . import indexing
from .models import SearchEntry

Kind = SearchEntry.Kind


def _persona_saved(sender, instance: Persona, **kwargs) -> None:
    indexing._upsert([indexing.persona_entry(instance)])


def _scenario_saved(sender, instance: Scenario, **kwargs) -> None:
    team_id = Persona.objects.filter(pk=instance.persona_id).values_list("team_id", flat=True).first()
    if team_id is not None:
        indexing._upsert([indexing.scenario_entry(instance, team_id)])


def _experiment_saved(sender, instance: Experiment, **kwargs) -> None:
    indexing._upsert([indexing.experiment_entry(instance)])


def _playbook_saved(sender, instance: Playbook, **kwargs) -> None:
    team_id = instance.journey_map.team_id
    indexing._upsert([indexing.playbook_entry(instance, team_id)])


def _response_saved(sender, instance: Response, created: bool, update_fields=None, **kwargs) -> None:
    # A new answer is indexed by the sync (most arrive as one raw statement, without this signal);
    # a later part changes its answers.
    if not created and (update_fields is None or "answers" in update_fields):
        indexing.response_reindex(instance)


def _deleted(kind):
    def receiver(sender, instance, **kwargs) -> None:
        indexing._remove(kind, [instance.pk])

    return receiver


RECEIVERS = [
    (Persona, _persona_saved, Kind.PERSONA),
    (Scenario, _scenario_saved, Kind.SCENARIO),
    (Experiment, _experiment_saved, Kind.EXPERIMENT),
    (Playbook, _playbook_saved, Kind.PLAYBOOK),
]


def connect() -> None:
    for model, saved, kind in RECEIVERS:
        post_save.connect(saved, sender=model, dispatch_uid=f"search-{kind}-saved")
        post_delete.connect(_deleted(kind), sender=model, dispatch_uid=f"search-{kind}-deleted", weak=False)
    post_save.connect(_response_saved, sender=Response, dispatch_uid="search-response-saved")
