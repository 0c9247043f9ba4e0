"""What the experiment log adds to the journey map: "why is it like this?" and a health check."""

from __future__ import annotations

from html import escape as esc

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from journeys.extensions import HealthIssue
from journeys.models import PainPoint

from .models import Experiment


def annotate_map_with_experiments(journey_map, stages: list, touchpoints: list) -> None:
    """Set ``.experiments`` on every stage and touchpoint: the experiments that touched it, oldest first.

    One query, whatever the size of the map. An experiment on a touchpoint (or on one of its pain
    points) is listed on the touchpoint and its stage; one on a whole stage only on the stage.
    """
    stage_ids = [s.pk for s in stages]
    touchpoint_ids = [t.pk for t in touchpoints]
    experiments = list(
        Experiment.objects.filter(team_id=journey_map.team_id)
        # By the map rather than by the page's ids (180 bound parameters on a large map); the page's
        # stages and touchpoints pick theirs below.
        .filter(Q(stage__journey_map=journey_map) | Q(touchpoint__stage__journey_map=journey_map))
        .exclude(status=Experiment.Status.IDEA)
        .select_related("primary_metric", "map_version")
        .order_by("started_at", "created_at", "id")
    )
    by_stage: dict[int, list] = {pk: [] for pk in stage_ids}
    by_touchpoint: dict[int, list] = {pk: [] for pk in touchpoint_ids}
    for experiment in experiments:
        if experiment.touchpoint_id in by_touchpoint:
            by_touchpoint[experiment.touchpoint_id].append(experiment)
        if experiment.stage_id in by_stage:
            by_stage[experiment.stage_id].append(experiment)
    for stage in stages:
        stage.experiments = by_stage.get(stage.pk, [])
    for touchpoint in touchpoints:
        touchpoint.experiments = by_touchpoint.get(touchpoint.pk, [])


OUTCOME_MARKS = {"supported": "✓", "refuted": "✗"}


def experiments_html(stage_or_touchpoint) -> SafeString:
    """ "Why is it like this?" on a card or stage header: the experiments that touched it.

    Built like the rest of the map's cards (``journeys.cards``): every text value through
    ``esc`` (``html.escape``).
    """
    experiments = stage_or_touchpoint.experiments
    if not experiments:
        return SafeString("")
    items = []
    for e in experiments:
        notes = esc(e.get_status_display().lower())
        if e.outcome:
            notes += f" · {OUTCOME_MARKS.get(e.outcome, '?')} {esc(e.get_outcome_display().lower())}"
        if e.decision:
            notes += f" · {esc(e.get_decision_display().lower())}"
        if e.map_version:
            notes += f" · v{e.map_version.number:d}"
        url = esc(reverse("experiments:detail", args=[e.pk]))
        items.append(f'<li><a href="{url}">{esc(e.title)}</a> <small class="wm-muted">{notes}</small></li>')
    n = len(experiments)
    why = esc(gettext("Why is it like this?"))
    count = esc(ngettext("%(count)s experiment", "%(count)s experiments", n) % {"count": n})
    return SafeString(
        f'<details class="xp-on-map"><summary>{why}'
        f' <span class="wm-badge">{count}</span></summary>'
        f'<ol class="xp-on-map-list">{"".join(items)}</ol></details>'
    )


SEVERE = 4


def severe_pain_points_without_experiment(maps: list) -> dict[int, list[HealthIssue]]:
    """Report, per map, open pain points of severity ≥ 4 that no experiment addresses (one query)."""
    map_ids = [m.pk for m in maps]
    if not map_ids:
        return {}
    rows = (
        PainPoint.objects.filter(
            touchpoint__stage__journey_map_id__in=map_ids, severity__gte=SEVERE, status=PainPoint.Status.OPEN
        )
        .filter(
            ~Exists(Experiment.objects.filter(pain_point_id=OuterRef("pk")).exclude(status=Experiment.Status.ARCHIVED))
        )
        .values_list("touchpoint__stage__journey_map_id", flat=True)
    )
    counts: dict[int, int] = {}
    for map_id in rows:
        counts[map_id] = counts.get(map_id, 0) + 1
    issues = {}
    for map_id, count in counts.items():
        issues[map_id] = [
            HealthIssue(
                code="severe_pain_without_experiment",
                message=ngettext(
                    "%(count)s open severe pain point has no experiment",
                    "%(count)s open severe pain points have no experiment",
                    count,
                )
                % {"count": count},
                count=count,
                weight=min(30, 10 * count),
                severity="critical" if count >= 3 else "warning",
            )
        ]
    return issues
