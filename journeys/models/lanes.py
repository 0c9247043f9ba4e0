import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from teams.access import history_user
from teams.models import TeamScopedModel


class Lane(TeamScopedModel):
    """A row of the map's swimlanes canvas, drawn under its stages."""

    class Kind(models.TextChoices):
        ACTIONS = "actions", _("Customer actions")
        THOUGHTS = "thoughts", _("Thoughts")
        EMOTIONS = "emotions", _("Emotions")
        PAIN_POINTS = "pain_points", _("Pain points")
        TOUCHPOINTS = "touchpoints", _("Touchpoints by channel")
        BACKSTAGE = "backstage", _("Backstage and owners")
        OPPORTUNITIES = "opportunities", _("Opportunities")
        METRICS = "metrics", _("Metrics")

    journey_map = models.ForeignKey(
        "journeys.JourneyMap", on_delete=models.CASCADE, related_name="lanes", verbose_name=_("journey map")
    )
    key = models.UUIDField(default=uuid.uuid4, editable=False, verbose_name=_("key"))
    kind = models.CharField(max_length=16, choices=Kind.choices, verbose_name=_("kind"))
    title = models.CharField(
        max_length=120, blank=True, verbose_name=_("title"), help_text=_("Empty: the kind's name.")
    )
    position = models.PositiveIntegerField(default=0, verbose_name=_("position"))

    team_lookup = "journey_map__team"
    history = HistoricalRecords(get_user=history_user)

    # Lanes whose cells people write; the others are drawn from the map itself and from other apps.
    TEXT_KINDS = frozenset({Kind.ACTIONS, Kind.THOUGHTS, Kind.BACKSTAGE, Kind.OPPORTUNITIES, Kind.METRICS})

    class Meta:
        verbose_name = _("lane")
        verbose_name_plural = _("lanes")
        ordering = ["journey_map", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["journey_map", "key"], name="lane_unique_key_per_map"),
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "actions",
                        "thoughts",
                        "emotions",
                        "pain_points",
                        "touchpoints",
                        "backstage",
                        "opportunities",
                        "metrics",
                    ]
                ),
                name="lane_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        return self.title or str(self.Kind(self.kind).label)

    @property
    def is_text(self) -> bool:
        return self.kind in self.TEXT_KINDS


class LaneCell(TeamScopedModel):
    """What a text lane says under one stage."""

    lane = models.ForeignKey(Lane, on_delete=models.CASCADE, related_name="cells", verbose_name=_("lane"))
    stage = models.ForeignKey(
        "journeys.Stage", on_delete=models.CASCADE, related_name="lane_cells", verbose_name=_("stage")
    )
    text = models.TextField(max_length=2000, blank=True, verbose_name=_("text"))

    team_lookup = "lane__journey_map__team"
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("lane cell")
        verbose_name_plural = _("lane cells")
        ordering = ["lane", "stage__position", "id"]
        constraints = [models.UniqueConstraint(fields=["lane", "stage"], name="lanecell_unique_per_stage")]

    def __str__(self) -> str:
        return f"{self.lane} / {self.stage}"
