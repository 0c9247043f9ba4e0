"""Keeping the search index current.

Two ways in, chosen by how each kind of thing is written:

- **Maps and their parts** (stages, touchpoints, pain points) change through many paths, some of
  them set-based (restoring a version, importing, templates, reordering), but every change raises
  the map's ``revision``. Each map's entries remember the revision they were built from; before a
  search, ``maps_sync`` re-indexes the maps whose revision moved, in a fixed number of queries for
  any number of maps. Nothing is added to the writes themselves.
- **Answers** arrive on the public endpoint's hot path, mostly as one raw statement (no signal):
  ``responses_sync`` indexes a team's new answers with text from a per-team cursor before a
  search; a later part of an answer (saved through the ORM) is re-indexed by a signal, and an
  answer's entry goes with the answer (erasure included).
- **Personas, scenarios, experiments and playbooks** are saved one at a time through the ORM:
  signals index them as they are saved and delete their entries with them (search/signals.py).

``team_reindex`` rebuilds a team's entries from scratch (``manage.py search_reindex``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from experiments.models import Experiment
from feedback.models import Response
from journeys.models import JourneyMap, PainPoint, Stage, Touchpoint
from owners.models import Playbook
from personas.models import Persona, Scenario

from .models import SearchCursor, SearchEntry
from .text import index_terms

Kind = SearchEntry.Kind
MAP_PARTS = (Kind.STAGE, Kind.TOUCHPOINT, Kind.PAIN_POINT)
RESPONSE_BATCH = 2000
UPSERT_FIELDS = [
    "team",
    "journey_map",
    "response",
    "source_revision",
    "title",
    "body",
    "url",
    "title_terms",
    "body_terms",
    "indexed_at",
]


def _join(*parts) -> str:
    return "\n".join(str(p) for p in parts if p)


def _entry(kind, object_id, team_id, title, body, url, *, title_indexed: bool = True, **extra) -> SearchEntry:
    title = (title or "")[:300]
    return SearchEntry(
        kind=kind,
        object_id=object_id,
        team_id=team_id,
        title=title,
        body=body or "",
        url=url[:500],
        title_terms=index_terms(title) if title_indexed else "",
        body_terms=index_terms(body or ""),
        indexed_at=timezone.now(),
        **extra,
    )


def _upsert(entries: list[SearchEntry]) -> None:
    if entries:
        SearchEntry.objects.bulk_create(
            entries, update_conflicts=True, unique_fields=["kind", "object_id"], update_fields=UPSERT_FIELDS
        )


def _remove(kind, object_ids: Iterable[int]) -> None:
    SearchEntry.objects.filter(kind=kind, object_id__in=list(object_ids)).delete()


# --- documents ------------------------------------------------------------------------------


def _map_url(map_id: int, anchor: str = "") -> str:
    return reverse("journeys:map_detail", args=[map_id]) + (f"#{anchor}" if anchor else "")


def map_entries(maps: list[JourneyMap]) -> list[SearchEntry]:
    """Return the entries of these maps and their stages, touchpoints and pain points (3 queries)."""
    by_id = {m.pk: m for m in maps}
    entries = [
        _entry(
            Kind.MAP,
            m.pk,
            m.team_id,
            m.title,
            _join(getattr(m, "product", ""), m.description),
            _map_url(m.pk),
            journey_map_id=m.pk,
            source_revision=m.revision,
        )
        for m in maps
    ]
    stages = Stage.objects.filter(journey_map_id__in=by_id).values_list("pk", "journey_map_id", "name", "description")
    for pk, map_id, name, description in stages:
        m = by_id[map_id]
        entries.append(
            _entry(
                Kind.STAGE,
                pk,
                m.team_id,
                name,
                description,
                _map_url(map_id, f"stage-{pk}-title"),
                journey_map_id=map_id,
                source_revision=m.revision,
            )
        )
    touchpoints = Touchpoint.objects.filter(stage__journey_map_id__in=by_id).values_list(
        "pk", "stage__journey_map_id", "name", "description", "metric_name"
    )
    for pk, map_id, name, description, metric in touchpoints:
        m = by_id[map_id]
        entries.append(
            _entry(
                Kind.TOUCHPOINT,
                pk,
                m.team_id,
                name,
                _join(description, metric),
                _map_url(map_id, f"tp-{pk}"),
                journey_map_id=map_id,
                source_revision=m.revision,
            )
        )
    pains = PainPoint.objects.filter(touchpoint__stage__journey_map_id__in=by_id).values_list(
        "pk", "touchpoint__stage__journey_map_id", "touchpoint_id", "title", "description"
    )
    for pk, map_id, tp_id, title, description in pains:
        m = by_id[map_id]
        entries.append(
            _entry(
                Kind.PAIN_POINT,
                pk,
                m.team_id,
                title,
                description,
                _map_url(map_id, f"tp-{tp_id}"),
                journey_map_id=map_id,
                source_revision=m.revision,
            )
        )
    return entries


def persona_entry(persona: Persona) -> SearchEntry:
    body = _join(
        persona.summary,
        persona.role,
        persona.goals,
        persona.obstacles,
        persona.jobs_to_be_done,
        persona.success_markers,
        persona.typical_deviations,
        persona.quotes,
    )
    return _entry(Kind.PERSONA, persona.pk, persona.team_id, persona.name, body, persona.get_absolute_url())


def scenario_entry(scenario: Scenario, team_id: int) -> SearchEntry:
    body = _join(scenario.trigger, scenario.goal, scenario.expected_outcome, scenario.success_markers)
    url = reverse("personas:detail", args=[scenario.persona_id]) + f"#scenario-{scenario.pk}"
    return _entry(Kind.SCENARIO, scenario.pk, team_id, scenario.name, body, url)


def experiment_entry(experiment: Experiment) -> SearchEntry:
    body = _join(experiment.change, experiment.rationale, experiment.learning)
    return _entry(
        Kind.EXPERIMENT, experiment.pk, experiment.team_id, experiment.title, body, experiment.get_absolute_url()
    )


def playbook_entry(playbook: Playbook, team_id: int) -> SearchEntry:
    url = reverse("owners:playbook_detail", args=[playbook.journey_map_id, playbook.pk])
    return _entry(
        Kind.PLAYBOOK,
        playbook.pk,
        team_id,
        playbook.name,
        _join(playbook.trigger, playbook.steps),
        url,
        journey_map_id=playbook.journey_map_id,
    )


def response_text(answers) -> str:
    """Return the open text of an answer (its string values), or "" when it has none."""
    if not isinstance(answers, dict):
        return ""
    return "\n".join(v.strip() for v in answers.values() if isinstance(v, str) and v.strip())


def response_entry(response_id: int, team_id: int, survey_id: int, survey_name: str, text: str) -> SearchEntry:
    url = reverse("feedback:response_list") + f"?survey={survey_id}"
    # The survey's name is the answer's heading, not what it says: only the comment is indexed, or
    # "delivery" would find every answer to a "Delivery NPS" survey.
    return _entry(
        Kind.RESPONSE, response_id, team_id, survey_name, text, url, title_indexed=False, response_id=response_id
    )


# --- keeping it current ---------------------------------------------------------------------


def maps_index(maps: list[JourneyMap]) -> int:
    """Index these maps afresh: their entries, and none of the parts they no longer have."""
    if not maps:
        return 0
    entries = map_entries(maps)
    with transaction.atomic():
        _upsert(entries)
        kept = Q()
        for kind in MAP_PARTS:
            kept |= Q(kind=kind, object_id__in=[e.object_id for e in entries if e.kind == kind])
        SearchEntry.objects.filter(journey_map_id__in=[m.pk for m in maps], kind__in=MAP_PARTS).exclude(kept).delete()
    return len(entries)


def maps_sync(team_ids: Iterable[int]) -> int:
    """Index the maps of these teams whose revision moved since they were indexed."""
    indexed = SearchEntry.objects.filter(kind=Kind.MAP, object_id=OuterRef("pk")).values("source_revision")[:1]
    stale = list(
        JourneyMap.objects.filter(team_id__in=list(team_ids))
        .annotate(indexed_revision=Subquery(indexed))
        .filter(Q(indexed_revision__isnull=True) | ~Q(indexed_revision=F("revision")))
    )
    return maps_index(stale)


def _responses_with_text(queryset) -> list[SearchEntry]:
    rows = queryset.values_list("pk", "team_id", "survey_id", "survey__name", "answers")
    return [
        response_entry(pk, team_id, survey_id, name, text)
        for pk, team_id, survey_id, name, answers in rows
        if (text := response_text(answers))
    ]


def responses_sync(team_ids: Iterable[int]) -> int:
    """Index the answers with text that arrived since the teams' cursors; return how many."""
    team_ids = list(team_ids)
    cursors = {c.team_id: c for c in SearchCursor.objects.filter(team_id__in=team_ids)}
    indexed = 0
    for team_id in team_ids:
        cursor = cursors.get(team_id) or SearchCursor(team_id=team_id)
        start = cursor.last_response_id
        while True:
            ids = list(
                Response.objects.filter(team_id=team_id, pk__gt=cursor.last_response_id)
                .order_by("pk")
                .values_list("pk", flat=True)[:RESPONSE_BATCH]
            )
            if not ids:
                break
            entries = _responses_with_text(Response.objects.filter(pk__in=ids))
            _upsert(entries)
            indexed += len(entries)
            cursor.last_response_id = ids[-1]
            if len(ids) < RESPONSE_BATCH:
                break
        if cursor.last_response_id != start:
            SearchCursor.objects.update_or_create(
                team_id=team_id, defaults={"last_response_id": cursor.last_response_id}
            )
    return indexed


def response_reindex(response: Response) -> None:
    """Index (or drop) one answer after a later part of it was saved."""
    text = response_text(response.answers)
    if not text:
        _remove(Kind.RESPONSE, [response.pk])
        return
    survey_name = type(response.survey).objects.filter(pk=response.survey_id).values_list("name", flat=True).first()
    _upsert([response_entry(response.pk, response.team_id, response.survey_id, survey_name or "", text)])


def teams_sync(team_ids: Iterable[int]) -> None:
    """Bring the index of these teams up to date before a search."""
    team_ids = list(team_ids)
    maps_sync(team_ids)
    responses_sync(team_ids)


def team_reindex(team_id: int) -> int:
    """Rebuild every entry of a team from its rows; return how many entries it has."""
    with transaction.atomic():
        SearchEntry.objects.filter(team_id=team_id).delete()
        SearchCursor.objects.filter(team_id=team_id).delete()
        maps_index(list(JourneyMap.objects.filter(team_id=team_id)))
        entries = [persona_entry(p) for p in Persona.objects.filter(team_id=team_id)]
        entries += [scenario_entry(s, team_id) for s in Scenario.objects.filter(persona__team_id=team_id)]
        entries += [experiment_entry(e) for e in Experiment.objects.filter(team_id=team_id)]
        entries += [playbook_entry(p, team_id) for p in Playbook.objects.filter(journey_map__team_id=team_id)]
        _upsert(entries)
        responses_sync([team_id])
    return SearchEntry.objects.filter(team_id=team_id).count()
