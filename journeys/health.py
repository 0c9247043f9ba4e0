"""Map health: "is this map still true?" — a score from 0 to 100 with its reasons.

Journeys checks what it owns (moments that matter without a metric, evidence not verified for 90
days, a map with nothing on it); other apps add their reasons through
``extensions.register_health_check`` (unowned touchpoints, missing SLAs, severe pain points with
no experiment, no review for 14 days). Health for any number of maps costs a fixed number of
queries.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .extensions import HealthIssue, extra_health_issues
from .models import PainPoint, Touchpoint

STALE_AFTER_DAYS = 90


@dataclass
class Health:
    """A map's health score and the reasons it is not 100."""

    score: int
    issues: list[HealthIssue] = field(default_factory=list)

    @property
    def band(self) -> str:
        """Return "healthy" (80+), "attention" (50–79) or "at_risk" (under 50)."""
        if self.score >= 80:
            return "healthy"
        return "attention" if self.score >= 50 else "at_risk"

    @property
    def label(self) -> str:
        return str(dict(BANDS)[self.band])

    @property
    def icon(self) -> str:
        return {"healthy": "✓", "attention": "!", "at_risk": "✕"}[self.band]

    def as_dict(self) -> dict:
        return {
            "score": self.score,
            "band": self.band,
            "label": self.label,
            "issues": [
                {"code": i.code, "message": i.message, "count": i.count, "weight": i.weight, "severity": i.severity}
                for i in self.issues
            ],
        }


BANDS = [("healthy", _("Healthy")), ("attention", _("Needs attention")), ("at_risk", _("At risk"))]


def _own_issues(map_ids: list[int], today: datetime.date) -> dict[int, list[HealthIssue]]:
    stale = today - datetime.timedelta(days=STALE_AFTER_DAYS)
    unverified = Q(evidence_verified_at__isnull=True) | Q(evidence_verified_at__lt=stale)
    tp_rows = (
        Touchpoint.objects.filter(stage__journey_map_id__in=map_ids)
        .values("stage__journey_map_id")
        .annotate(
            total=Count("id"),
            moments_without_metric=Count("id", filter=Q(is_moment=True, metric_name="")),
            unverified=Count("id", filter=unverified),
        )
    )
    pp_rows = (
        PainPoint.objects.filter(touchpoint__stage__journey_map_id__in=map_ids)
        .exclude(status=PainPoint.Status.FIXED)
        .values("touchpoint__stage__journey_map_id")
        .annotate(unverified=Count("id", filter=unverified))
    )
    issues: dict[int, list[HealthIssue]] = {pk: [] for pk in map_ids}
    seen = set()
    for row in tp_rows:
        map_id = row["stage__journey_map_id"]
        seen.add(map_id)
        if n := row["moments_without_metric"]:
            issues[map_id].append(
                HealthIssue(
                    "moments_without_metric",
                    ngettext(
                        "%(count)s moment that matters has no metric",
                        "%(count)s moments that matter have no metric",
                        n,
                    )
                    % {"count": n},
                    count=n,
                    weight=min(30, 10 * n),
                    severity="critical",
                )
            )
        if n := row["unverified"]:
            issues[map_id].append(
                HealthIssue(
                    "stale_touchpoint_evidence",
                    ngettext(
                        "%(count)s touchpoint’s evidence was not verified in the last %(days)s days",
                        "%(count)s touchpoints’ evidence was not verified in the last %(days)s days",
                        n,
                    )
                    % {"count": n, "days": STALE_AFTER_DAYS},
                    count=n,
                    weight=min(25, 5 + 2 * n),
                )
            )
    for row in pp_rows:
        if n := row["unverified"]:
            issues[row["touchpoint__stage__journey_map_id"]].append(
                HealthIssue(
                    "stale_pain_point_evidence",
                    ngettext(
                        "%(count)s open pain point’s evidence was not verified in the last %(days)s days",
                        "%(count)s open pain points’ evidence was not verified in the last %(days)s days",
                        n,
                    )
                    % {"count": n, "days": STALE_AFTER_DAYS},
                    count=n,
                    weight=min(15, 3 + n),
                )
            )
    for map_id in map_ids:
        if map_id not in seen:
            issues[map_id].append(
                HealthIssue("empty_map", gettext("The map has no touchpoints yet"), weight=20, severity="warning")
            )
    return issues


def maps_health(maps) -> dict[int, Health]:
    """Return the health of every map given, by map id, in a fixed number of queries."""
    maps = list(maps)
    if not maps:
        return {}
    today = timezone.localdate()
    own = _own_issues([m.pk for m in maps], today)
    extra = extra_health_issues(maps)
    result = {}
    for m in maps:
        issues = sorted(
            [*own.get(m.pk, []), *extra.get(m.pk, [])],
            key=lambda i: (i.severity != "critical", -i.weight),
        )
        result[m.pk] = Health(score=max(0, 100 - sum(i.weight for i in issues)), issues=issues)
    return result


def map_health(journey_map) -> Health:
    return maps_health([journey_map])[journey_map.pk]
