"""Saved analysis objects of the analytics app: cohorts (a static list of profiles, or rules)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from teams.access import history_user
from teams.models import TeamOwnedModel, TeamScopedModel


class Cohort(TeamOwnedModel):
    """A named group of profiles: a list saved once, or rules evaluated when it is read."""

    class Kind(models.TextChoices):
        STATIC = "static", _("Static list")
        RULES = "rules", _("Rules")

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.STATIC)
    # For kind "rules": {"match": "all"|"any", "conditions": [...]} (analytics/cohorts.py documents them).
    rules = models.JSONField(_("rules"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("cohort")
        verbose_name_plural = _("cohorts")
        constraints = [models.CheckConstraint(condition=Q(kind__in=["static", "rules"]), name="cohort_kind_valid")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("analytics:cohort_detail", kwargs={"cohort_pk": self.pk})


class CohortMember(TeamScopedModel):
    """A profile on a static cohort's list."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="members", verbose_name=_("cohort"))
    profile = models.ForeignKey(
        "customers.Profile", on_delete=models.CASCADE, related_name="+", verbose_name=_("customer profile")
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now, editable=False)

    team_lookup = "cohort__team"

    class Meta:
        ordering = ["cohort", "id"]
        verbose_name = _("cohort member")
        verbose_name_plural = _("cohort members")
        constraints = [models.UniqueConstraint(fields=["cohort", "profile"], name="cohortmember_unique_profile")]

    def __str__(self) -> str:
        return f"{self.profile_id} in {self.cohort_id}"


class StageStat(TeamScopedModel):
    """A stage's figures over the last N days, stored by a task so the map page reads them, never computes them."""

    journey_map = models.ForeignKey(
        "journeys.JourneyMap", on_delete=models.CASCADE, related_name="+", verbose_name=_("journey map")
    )
    stage = models.ForeignKey("journeys.Stage", on_delete=models.CASCADE, related_name="+", verbose_name=_("stage"))
    days = models.PositiveSmallIntegerField(_("days"))
    computed_at = models.DateTimeField(_("computed at"))
    in_stage_now = models.PositiveIntegerField(_("in the stage now"))
    entered = models.PositiveIntegerField(_("entered"))
    # None on the last stage, which has no next stage.
    converted = models.PositiveIntegerField(_("converted to the next stage"), null=True, blank=True)
    conversion = models.FloatField(_("conversion"), null=True, blank=True)
    conversion_low = models.FloatField(_("conversion, interval low"), null=True, blank=True)
    conversion_high = models.FloatField(_("conversion, interval high"), null=True, blank=True)
    time_n = models.PositiveIntegerField(_("stays ended"))
    time_median = models.FloatField(_("median time in stage (seconds)"), null=True, blank=True)
    time_low = models.FloatField(_("median time in stage, interval low"), null=True, blank=True)
    time_high = models.FloatField(_("median time in stage, interval high"), null=True, blank=True)

    team_lookup = "journey_map__team"

    class Meta:
        ordering = ["journey_map", "stage", "days"]
        verbose_name = _("stage statistic")
        verbose_name_plural = _("stage statistics")
        constraints = [models.UniqueConstraint(fields=["stage", "days"], name="stagestat_unique_stage_days")]

    def __str__(self) -> str:
        return f"{self.stage_id} over {self.days} d"
