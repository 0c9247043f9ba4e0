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


# --- the stored stage funnel (analytics/stage_store.py builds, refreshes and reads these) -------------
#
# Derived rows, never edited by hand and never read by a user's id: the funnel query that reads them
# is scoped already. ``profile_id`` is a plain column (no foreign key) so a profile's deletion or
# merge is handled by the refresh queue like any other change of its transitions.


class StageFunnelState(TeamScopedModel):
    """What a map's stored funnel was built for: its stages in order, their windows and the team's zone."""

    journey_map = models.OneToOneField(
        "journeys.JourneyMap", on_delete=models.CASCADE, related_name="+", verbose_name=_("journey map")
    )
    # {"stages": [ids], "windows": [ms], "time_zone": "Europe/Riga"}: the query it can answer.
    signature = models.JSONField(_("signature"), default=dict)
    built_at = models.DateTimeField(_("built at"))
    refreshed_at = models.DateTimeField(_("refreshed at"))

    team_lookup = "journey_map__team"

    class Meta:
        verbose_name = _("stored stage funnel")
        verbose_name_plural = _("stored stage funnels")

    def __str__(self) -> str:
        return f"stage funnel of map {self.journey_map_id}"


class StageFunnelEntry(TeamScopedModel):
    """One step-1 transition of a profile on a map and how far its walk through the stages got."""

    journey_map = models.ForeignKey("journeys.JourneyMap", on_delete=models.CASCADE, related_name="+")
    profile_id = models.BigIntegerField()
    transition_id = models.BigIntegerField()
    entered_at = models.DateTimeField()
    day = models.DateField()  # the entry's day in the team's zone
    round_day = models.DateField()  # the day of its time rounded to the millisecond (the period's end test)
    prev_day = models.DateField(null=True)  # the day of the profile's previous step-1 entry on the map
    persona = models.TextField(null=True)
    reached = models.PositiveSmallIntegerField()  # steps reached, 1…n

    team_lookup = "journey_map__team"

    class Meta:
        indexes = [
            models.Index(fields=["journey_map", "profile_id"], name="sfentry_map_profile"),
            models.Index(fields=["journey_map", "day"], name="sfentry_map_day"),
        ]


class StageFunnelDuration(TeamScopedModel):
    """The time from step k-1 to step k of an entry that reached step k (k ≥ 2), in milliseconds."""

    journey_map = models.ForeignKey("journeys.JourneyMap", on_delete=models.CASCADE, related_name="+")
    profile_id = models.BigIntegerField()
    step = models.PositiveSmallIntegerField()
    bin = models.PositiveSmallIntegerField()  # its fine histogram bin (stage_store.FINE_EDGES_MS)
    duration_ms = models.BigIntegerField()
    day = models.DateField()
    round_day = models.DateField()
    prev_day = models.DateField(null=True)

    team_lookup = "journey_map__team"

    class Meta:
        indexes = [
            models.Index(fields=["journey_map", "profile_id"], name="sfduration_map_profile"),
            # The median's exact read: one bin's durations in order, the period's test from the index.
            models.Index(
                fields=["journey_map", "step", "bin", "duration_ms"],
                include=["day", "round_day", "prev_day"],
                name="sfduration_map_step_bin",
            ),
            models.Index(fields=["journey_map", "day"], name="sfduration_map_day"),
        ]


class StageFunnelDay(TeamScopedModel):
    """Entries per (entry day, its rounded day, previous entry's day, persona, steps reached)."""

    journey_map = models.ForeignKey("journeys.JourneyMap", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    round_day = models.DateField()
    prev_day = models.DateField(null=True)
    persona = models.TextField(null=True)
    reached = models.PositiveSmallIntegerField()
    entries = models.PositiveIntegerField()

    team_lookup = "journey_map__team"

    class Meta:
        indexes = [models.Index(fields=["journey_map", "day"], name="sfday_map_day")]


class StageFunnelBin(TeamScopedModel):
    """Durations per (entry day, its rounded day, previous entry's day, step, fine bin)."""

    journey_map = models.ForeignKey("journeys.JourneyMap", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    round_day = models.DateField()
    prev_day = models.DateField(null=True)
    step = models.PositiveSmallIntegerField()
    bin = models.PositiveSmallIntegerField()
    entries = models.PositiveIntegerField()

    team_lookup = "journey_map__team"

    class Meta:
        indexes = [models.Index(fields=["journey_map", "day"], name="sfbin_map_day")]


class StageFunnelDirty(models.Model):
    """A profile whose stored funnel rows on a map must be recomputed: written by database triggers on
    every insert, update or delete of stage transitions and on every change of a profile's persona
    trait (migration 0003), so no writer can forget it; emptied by ``stage_store.stage_funnel_refresh``."""

    journey_map_id = models.BigIntegerField()
    profile_id = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["journey_map_id", "id"], name="sfdirty_map_id")]

    def __str__(self) -> str:
        return f"profile {self.profile_id} on map {self.journey_map_id}"
