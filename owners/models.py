"""Ownership (RACI), SLAs, hand-offs and playbooks of the touchpoints and stages of journey maps.

The tables keep the names they had when these models lived in journeys (``db_table``).
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from journeys.models import JourneyMap, Stage, Touchpoint
from teams.access import history_user
from teams.models import TeamScopedModel


class Ownership(TeamScopedModel):
    """Who answers for a touchpoint or a stage: one accountable, any number responsible or consulted."""

    team_lookup = "journey_map__team"

    class Role(models.TextChoices):
        ACCOUNTABLE = "accountable", _("Accountable")
        RESPONSIBLE = "responsible", _("Responsible")
        CONSULTED = "consulted", _("Consulted")

    journey_map = models.ForeignKey(
        JourneyMap, on_delete=models.CASCADE, related_name="ownerships", verbose_name=_("journey map")
    )
    touchpoint = models.ForeignKey(
        Touchpoint,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="ownerships",
        verbose_name=_("touchpoint"),
    )
    stage = models.ForeignKey(
        Stage, on_delete=models.CASCADE, null=True, blank=True, related_name="ownerships", verbose_name=_("stage")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ownerships", verbose_name=_("user")
    )
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.ACCOUNTABLE, verbose_name=_("role"))
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))

    history = HistoricalRecords(get_user=history_user, table_name="journeys_historicalownership")

    class Meta:
        db_table = "journeys_ownership"
        verbose_name = _("ownership")
        verbose_name_plural = _("ownerships")
        ordering = ["journey_map", "role", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(touchpoint__isnull=False, stage__isnull=True) | Q(touchpoint__isnull=True, stage__isnull=False)
                ),
                name="ownership_touchpoint_xor_stage",
            ),
            models.UniqueConstraint(
                fields=["touchpoint"], condition=Q(role="accountable"), name="ownership_one_accountable_per_touchpoint"
            ),
            models.UniqueConstraint(
                fields=["stage"], condition=Q(role="accountable"), name="ownership_one_accountable_per_stage"
            ),
            models.UniqueConstraint(
                fields=["touchpoint", "user", "role"], name="ownership_unique_touchpoint_user_role"
            ),
            models.UniqueConstraint(fields=["stage", "user", "role"], name="ownership_unique_stage_user_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} for {self.touchpoint or self.stage}"


class SLA(TeamScopedModel):
    """How fast the touchpoint's owner must respond; the follow-up clock runs against it."""

    team_lookup = "touchpoint__stage__journey_map__team"

    touchpoint = models.OneToOneField(
        Touchpoint, on_delete=models.CASCADE, related_name="sla", verbose_name=_("touchpoint")
    )
    response_target = models.DurationField(default=timedelta(hours=48), verbose_name=_("response target"))
    business_hours = models.BooleanField(
        default=False, help_text=_("Count only the team's working hours."), verbose_name=_("business hours")
    )
    escalation_delay = models.DurationField(
        default=timedelta(hours=24),
        help_text=_("After a breach, how long until the team admins are told."),
        verbose_name=_("escalation delay"),
    )

    history = HistoricalRecords(get_user=history_user, table_name="journeys_historicalsla")

    class Meta:
        db_table = "journeys_sla"
        verbose_name_plural = _("SLAs")
        verbose_name = _("SLA")
        constraints = [
            models.CheckConstraint(condition=Q(response_target__gt=timedelta(0)), name="sla_target_positive"),
            models.CheckConstraint(condition=Q(escalation_delay__gte=timedelta(0)), name="sla_escalation_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.touchpoint}: {self.response_target}"


class Handoff(TeamScopedModel):
    """The passage from one touchpoint to the next when it changes hands, with its own SLA."""

    team_lookup = "journey_map__team"

    journey_map = models.ForeignKey(
        JourneyMap, on_delete=models.CASCADE, related_name="handoffs", verbose_name=_("journey map")
    )
    from_touchpoint = models.ForeignKey(
        Touchpoint, on_delete=models.CASCADE, related_name="handoffs_out", verbose_name=_("from touchpoint")
    )
    to_touchpoint = models.ForeignKey(
        Touchpoint, on_delete=models.CASCADE, related_name="handoffs_in", verbose_name=_("to touchpoint")
    )
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from owner"),
    )
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("to owner"),
    )
    response_target = models.DurationField(
        default=timedelta(hours=24),
        help_text=_("How long the receiving owner has to pick a case up."),
        verbose_name=_("response target"),
    )
    business_hours = models.BooleanField(
        default=False, help_text=_("Count only the team's working hours."), verbose_name=_("business hours")
    )
    escalation_delay = models.DurationField(
        default=timedelta(hours=24),
        help_text=_("After a breach, how long until the team admins are told."),
        verbose_name=_("escalation delay"),
    )
    notes = models.TextField(blank=True, max_length=2000, verbose_name=_("notes"))
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))

    history = HistoricalRecords(get_user=history_user, table_name="journeys_historicalhandoff")

    class Meta:
        db_table = "journeys_handoff"
        verbose_name = _("hand-off")
        verbose_name_plural = _("hand-offs")
        ordering = ["journey_map", "id"]
        constraints = [
            models.UniqueConstraint(fields=["from_touchpoint", "to_touchpoint"], name="handoff_unique_pair"),
            models.CheckConstraint(condition=~Q(from_touchpoint=models.F("to_touchpoint")), name="handoff_distinct"),
            models.CheckConstraint(condition=Q(response_target__gt=timedelta(0)), name="handoff_target_positive"),
            models.CheckConstraint(
                condition=Q(escalation_delay__gte=timedelta(0)), name="handoff_escalation_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_touchpoint} → {self.to_touchpoint}"


class HandoffCase(TeamScopedModel):
    """One customer case passed along a hand-off, due by its SLA; what the SLA sweep watches."""

    team_lookup = "handoff__journey_map__team"

    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="cases", verbose_name=_("handoff"))
    reference = models.CharField(
        max_length=200, blank=True, help_text=_("The case, ticket or order it concerns."), verbose_name=_("reference")
    )
    started_at = models.DateTimeField(default=timezone.now, verbose_name=_("started at"))
    due_at = models.DateTimeField(verbose_name=_("due at"))
    completed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("completed at"))
    breached_at = models.DateTimeField(null=True, blank=True, verbose_name=_("breached at"))
    escalated_at = models.DateTimeField(null=True, blank=True, verbose_name=_("escalated at"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opened by"),
    )
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("completed by"),
    )

    history = HistoricalRecords(get_user=history_user, table_name="journeys_historicalhandoffcase")

    class Meta:
        db_table = "journeys_handoffcase"
        verbose_name = _("hand-off case")
        verbose_name_plural = _("hand-off cases")
        ordering = ["due_at"]
        indexes = [
            models.Index(fields=["due_at"], condition=Q(completed_at__isnull=True), name="handoffcase_open_due_idx"),
            models.Index(
                fields=["breached_at"],
                condition=Q(completed_at__isnull=True, escalated_at__isnull=True, breached_at__isnull=False),
                name="handoffcase_to_escalate_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(due_at__gte=models.F("started_at")), name="handoffcase_due_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.handoff}: {self.reference or self.pk}"


class Playbook(TeamScopedModel):
    """A documented branch of the journey (trigger, steps in Markdown, owner)."""

    team_lookup = "journey_map__team"

    journey_map = models.ForeignKey(
        JourneyMap, on_delete=models.CASCADE, related_name="playbooks", verbose_name=_("journey map")
    )
    stage = models.ForeignKey(
        Stage, on_delete=models.CASCADE, null=True, blank=True, related_name="playbooks", verbose_name=_("stage")
    )
    touchpoint = models.ForeignKey(
        Touchpoint,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="playbooks",
        verbose_name=_("touchpoint"),
    )
    name = models.CharField(max_length=200, verbose_name=_("name"))
    trigger = models.TextField(blank=True, verbose_name=_("trigger"))
    steps = models.TextField(blank=True, help_text=_("Markdown."), verbose_name=_("steps"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="playbooks",
        verbose_name=_("owner"),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))
    updated_at = models.DateTimeField(default=timezone.now, verbose_name=_("updated at"))

    history = HistoricalRecords(get_user=history_user, table_name="journeys_historicalplaybook")

    class Meta:
        db_table = "journeys_playbook"
        verbose_name = _("playbook")
        verbose_name_plural = _("playbooks")
        ordering = ["journey_map", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stage__isnull=True) | Q(touchpoint__isnull=True), name="playbook_stage_or_touchpoint"
            ),
        ]

    def __str__(self) -> str:
        return self.name
