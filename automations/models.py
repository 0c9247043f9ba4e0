"""Automations on a journey map: a trigger, ordered steps with branches, enrolments and their actions.

An ``Enrolment`` is one customer's way through one automation (the step they are at and when it
runs next). Every action a step takes is first written as an ``Action`` row, unique per
(enrolment, step): that key is the action's idempotency key, so a trigger evaluated twice, a
sweep run beside a task, or a worker killed mid-send still produce one action (engine.py,
outbox.py).
"""

from __future__ import annotations

from datetime import time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from teams.models import TeamOwnedModel, TeamScopedModel, TeamScopedQuerySet


class Automation(TeamOwnedModel):
    """A trigger on a map's customers and the steps that follow it, measured against a holdout."""

    class Trigger(models.TextChoices):
        STAGE_ENTERED = "stage_entered", _("Entered a stage")
        STAGE_STALLED = "stage_stalled", _("Stalled in a stage")
        STAGE_LEFT = "stage_left", _("Left a stage")
        EVENT_DONE = "event_done", _("Did an event")
        EVENT_NOT_DONE = "event_not_done", _("Did not do an event after another")
        TRAIT_CHANGED = "trait_changed", _("A trait changed")
        SURVEY_ANSWERED = "survey_answered", _("Answered a survey (detractor)")
        MOMENT_REACHED = "moment_reached", _("Reached a moment that matters")

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("automation", "Draft")
        ACTIVE = "active", pgettext_lazy("automation", "Active")
        PAUSED = "paused", pgettext_lazy("automation", "Paused")

    class Reentry(models.TextChoices):
        ONCE = "once", _("Once per customer")
        AFTER_EXIT = "after_exit", _("Again after the previous run ended")
        EVERY_TIME = "every_time", _("Every time the trigger fires")

    class Goal(models.TextChoices):
        NEXT_STAGE = "next_stage", _("Reached the next stage")
        STAGE = "stage", _("Reached a stage")
        MOMENT = "moment", _("Reached a moment that matters")
        EVENT = "event", _("Did an event")

    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="+", verbose_name=_("team"))
    journey_map = models.ForeignKey(
        "journeys.JourneyMap", on_delete=models.CASCADE, related_name="automations", verbose_name=_("journey map")
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices, default=Trigger.STAGE_ENTERED)
    # {"stage": id, "after_hours": n, "event": name, "then_event": name, "within_hours": n,
    #  "trait": key, "max_score": n, "survey": id, "touchpoint": id}: which keys count depends on
    # the trigger (engine.TRIGGER_FIELDS).
    trigger_config = models.JSONField(_("trigger settings"), default=dict, blank=True)
    # [{"kind": "trait"|"persona"|"cohort"|"channel"|"consent", …}]: all must hold (conditions.py).
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    # {"next_stage": bool, "event": name}: either ends the enrolment early.
    exit_criteria = models.JSONField(_("exit criteria"), default=dict, blank=True)
    holdout_percent = models.PositiveSmallIntegerField(
        _("holdout (%)"),
        default=10,
        validators=[MaxValueValidator(50)],
        help_text=_("Customers kept out at random, to measure the automation's effect."),
    )
    reentry = models.CharField(_("re-entry"), max_length=12, choices=Reentry.choices, default=Reentry.AFTER_EXIT)
    daily_send_limit = models.PositiveIntegerField(
        _("sends per day"), null=True, blank=True, help_text=_("Blank: no limit of its own.")
    )
    goal = models.CharField(_("goal"), max_length=12, choices=Goal.choices, default=Goal.NEXT_STAGE)
    # {"stage": id} | {"touchpoint": id} | {"event": name}
    goal_config = models.JSONField(_("goal settings"), default=dict, blank=True)
    goal_window_days = models.PositiveSmallIntegerField(
        _("goal window (days)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    playbook = models.ForeignKey(
        "owners.Playbook",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("playbook"),
    )
    # Bumped by every change of the steps: enrolments in flight keep their step (by id) and go on.
    revision = models.PositiveIntegerField(_("revision"), default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        ordering = ["journey_map", "name", "id"]
        verbose_name = _("automation")
        verbose_name_plural = _("automations")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "active", "paused"]), name="automation_status_valid"
            ),
            models.CheckConstraint(condition=Q(holdout_percent__lte=50), name="automation_holdout_at_most_half"),
        ]
        indexes = [models.Index(fields=["team", "status"], name="automation_team_status_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("automations:detail", kwargs={"automation_pk": self.pk})

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Step(TeamScopedModel):
    """One step of an automation, in order; a branch's steps hang under it on its yes or no side."""

    team_lookup = "automation__team"

    class Kind(models.TextChoices):
        WAIT = "wait", _("Wait for a time")
        WAIT_EVENT = "wait_event", _("Wait until an event")
        WAIT_TIME = "wait_time", _("Wait until a time of day")
        BRANCH = "branch", _("Branch on a condition")
        EMAIL = "email", _("Send an email")
        WEBHOOK = "webhook", _("Send a signed webhook")
        SURVEY = "survey", _("Invite to a survey")
        TASK = "task", _("Open a task for the owner")
        COHORT = "cohort", _("Add to a cohort")
        TRAIT = "trait", _("Set a trait")

    class Side(models.TextChoices):
        MAIN = "", _("Main line")
        YES = "yes", _("Yes")
        NO = "no", _("No")

    ACTIONS = frozenset({"email", "webhook", "survey", "task", "cohort", "trait"})
    WAITS = frozenset({"wait", "wait_event", "wait_time"})

    automation = models.ForeignKey(
        Automation, on_delete=models.CASCADE, related_name="steps", verbose_name=_("automation")
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children", verbose_name=_("branch")
    )
    side = models.CharField(_("side"), max_length=3, choices=Side.choices, blank=True, default="")
    position = models.PositiveIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    # wait: {"hours": n}; wait_event: {"event": name, "timeout_hours": n}; wait_time: {"hour": 0-23};
    # branch: {"condition": {...}}; email: {"templates": {locale: {"subject", "body"}}, "default_locale"};
    # webhook: {"event_name": name}; survey: {"survey": id}; task: {"touchpoint": id, "title": text};
    # cohort: {"cohort": id}; trait: {"key": name, "value": any}.
    config = models.JSONField(_("settings"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["automation", "position", "id"]
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        constraints = [
            models.CheckConstraint(
                condition=(Q(parent__isnull=True, side="") | Q(parent__isnull=False, side__in=["yes", "no"])),
                name="step_side_matches_parent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.get_kind_display()}"

    @property
    def is_action(self) -> bool:
        return self.kind in self.ACTIONS


class EnrolmentQuerySet(TeamScopedQuerySet):
    def due(self, now=None):
        """Enrolments whose next step is due: the sweep's set, read through ``enrolment_due_idx``."""
        return self.filter(status=Enrolment.Status.ACTIVE, next_run_at__lte=now or timezone.now())


class Enrolment(TeamOwnedModel):
    """One customer's run through an automation: where they are, when it runs next, how it ended."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the trigger")  # event_not_done: until the window closes
        ACTIVE = "active", pgettext_lazy("enrolment", "In progress")
        COMPLETED = "completed", pgettext_lazy("enrolment", "Completed")
        EXITED = "exited", pgettext_lazy("enrolment", "Exited")
        HOLDOUT = "holdout", pgettext_lazy("enrolment", "Held out")
        DROPPED = "dropped", pgettext_lazy("enrolment", "Did not enter")

    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="+", verbose_name=_("team"))
    # No index of their own: enrolment_automation_idx and enrolment_profile_idx lead with them, and
    # every index more is one more write for each enrolment the sweep moves.
    automation = models.ForeignKey(
        Automation,
        on_delete=models.CASCADE,
        related_name="enrolments",
        verbose_name=_("automation"),
        db_index=False,
    )
    profile = models.ForeignKey(
        "customers.Profile",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("customer profile"),
        db_index=False,
    )
    # What made this run: a transition, an event, a stage entry … One run per key (re-entry policy).
    entry_key = models.CharField(_("entry key"), max_length=80)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    is_holdout = models.BooleanField(_("held out"), default=False)
    step = models.ForeignKey(
        Step, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("step")
    )
    # The step last passed, so a removed step's enrolments continue after where it stood.
    step_position = models.PositiveIntegerField(_("step position"), default=0)
    next_run_at = models.DateTimeField(_("next run at"), null=True, blank=True)
    entered_at = models.DateTimeField(_("entered at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    exit_reason = models.CharField(_("exit reason"), max_length=40, blank=True)
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True)
    # The stage the customer was in when they entered (the goal "next stage" is measured from it).
    stage = models.ForeignKey(
        "journeys.Stage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("stage")
    )
    context = models.JSONField(_("context"), default=dict, blank=True)

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        ordering = ["-entered_at", "-id"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(fields=["automation", "profile", "entry_key"], name="enrolment_unique_entry"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "active", "completed", "exited", "holdout", "dropped"]),
                name="enrolment_status_valid",
            ),
        ]
        indexes = [
            # The sweep reads only the live rows, by due time: small however many runs have ended.
            models.Index(
                fields=["next_run_at"], condition=Q(status__in=["active", "pending"]), name="enrolment_due_idx"
            ),
            models.Index(fields=["automation", "status"], name="enrolment_automation_idx"),
            models.Index(fields=["profile", "automation"], name="enrolment_profile_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.automation_id}/{self.profile_id} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status in (self.Status.ACTIVE, self.Status.PENDING)


class Action(TeamOwnedModel):
    """The outbox: one action of one step for one enrolment, done exactly once.

    The unique (enrolment, step) is the idempotency key: whoever inserts it second inserts
    nothing. A worker claims a pending row (``SKIP LOCKED``) under a lease, sends, then marks it
    done; a worker that dies leaves the lease to run out and the sweep hands the row to another,
    which sends with the same key (the email's Message-ID, the webhook's delivery id).
    """

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("action", "Pending")
        SENDING = "sending", pgettext_lazy("action", "Sending")
        DONE = "done", pgettext_lazy("action", "Done")
        SKIPPED = "skipped", pgettext_lazy("action", "Skipped")
        FAILED = "failed", pgettext_lazy("action", "Failed")

    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="+", verbose_name=_("team"))
    # No index of its own: the unique (enrolment, step) leads with it.
    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="actions", verbose_name=_("enrolment"), db_index=False
    )
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="actions", verbose_name=_("step"))
    # Copied from the enrolment and the step, so caps and counts need no join.
    automation = models.ForeignKey(
        Automation, on_delete=models.CASCADE, related_name="actions", verbose_name=_("automation")
    )
    profile = models.ForeignKey(
        "customers.Profile", on_delete=models.CASCADE, related_name="+", verbose_name=_("customer profile")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Step.Kind.choices)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    # Why it was skipped (suppressed, frequency cap, quiet hours moved it …) or failed: a code.
    reason = models.CharField(_("reason"), max_length=40, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    not_before = models.DateTimeField(_("not before"), default=timezone.now)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "step"], name="action_once_per_enrolment_step"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sending", "done", "skipped", "failed"]), name="action_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["not_before"], condition=Q(status__in=["pending", "sending"]), name="action_due_idx"),
            models.Index(fields=["profile", "done_at"], condition=Q(status="done"), name="action_profile_sent_idx"),
            models.Index(
                fields=["automation", "done_at"], condition=Q(status="done"), name="action_automation_sent_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def idempotency_key(self) -> str:
        return f"wm-action-{self.enrolment_id}-{self.step_id}"


class Suppression(TeamOwnedModel):
    """A customer who asked not to be contacted (the unsubscribe link) or was stopped by the team."""

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        MANUAL = "manual", _("Stopped by the team")

    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="+", verbose_name=_("team"))
    profile = models.OneToOneField(
        "customers.Profile", on_delete=models.CASCADE, related_name="+", verbose_name=_("customer profile")
    )
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices, default=Reason.UNSUBSCRIBED)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("suppression")
        verbose_name_plural = _("suppressions")

    def __str__(self) -> str:
        return f"{self.profile_id}: {self.reason}"


class OwnerTask(TeamOwnedModel):
    """A task an automation opened for a touchpoint's accountable owner, due under its SLA."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("task", "Open")
        DONE = "done", pgettext_lazy("task", "Done")

    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="+", verbose_name=_("team"))
    action = models.OneToOneField(Action, on_delete=models.CASCADE, related_name="task", verbose_name=_("action"))
    profile = models.ForeignKey(
        "customers.Profile", on_delete=models.CASCADE, related_name="+", verbose_name=_("customer profile")
    )
    touchpoint = models.ForeignKey(
        "journeys.Touchpoint",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("touchpoint"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="automation_tasks",
        verbose_name=_("owner"),
    )
    title = models.CharField(_("title"), max_length=300)
    status = models.CharField(_("status"), max_length=4, choices=Status.choices, default=Status.OPEN)
    due_at = models.DateTimeField(_("due at"))
    # When a breach still open goes to the team admins: due_at plus the SLA's escalation delay.
    escalate_at = models.DateTimeField(_("escalate at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    class Meta:
        ordering = ["status", "due_at", "id"]
        verbose_name = _("owner task")
        verbose_name_plural = _("owner tasks")
        indexes = [
            models.Index(
                fields=["due_at"], condition=Q(status="open", breached_at__isnull=True), name="ownertask_to_breach_idx"
            ),
            models.Index(
                fields=["escalate_at"],
                condition=Q(status="open", breached_at__isnull=False, escalated_at__isnull=True),
                name="ownertask_to_escalate_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.OPEN and self.due_at < timezone.now()


class Respect(TeamOwnedModel):
    """A team's rules for contacting customers, across all its automations and channels.

    A team without a row has the defaults (at most 3 messages in 7 days, quiet from 21:00 to 08:00
    in the customer's time zone): ``for_team`` returns an unsaved row then.
    """

    team = models.OneToOneField(
        "teams.Team", on_delete=models.CASCADE, related_name="automation_respect", verbose_name=_("team")
    )
    max_messages = models.PositiveSmallIntegerField(
        _("messages at most"), default=3, help_text=_("Per customer, across every automation and channel.")
    )
    per_days = models.PositiveSmallIntegerField(
        _("in days"), default=7, validators=[MinValueValidator(1), MaxValueValidator(90)]
    )
    quiet_start = models.TimeField(_("quiet hours start"), default=time(21, 0))
    quiet_end = models.TimeField(_("quiet hours end"), default=time(8, 0))

    class Meta:
        verbose_name = _("contact rules")
        verbose_name_plural = _("contact rules")
        constraints = [models.CheckConstraint(condition=Q(per_days__gte=1), name="respect_per_days_positive")]

    def __str__(self) -> str:
        return f"{self.max_messages}/{self.per_days}d"

    @classmethod
    def for_team(cls, team) -> Respect:
        try:
            return team.automation_respect
        except cls.DoesNotExist:
            return cls(team=team)


class StageCap(TeamOwnedModel):
    """A frequency cap for the customers now in one stage of a map, in place of the team's.

    While a customer's current stage (``customers.ProfileStage``) on a map has a cap, that cap
    applies instead of the team's ``Respect`` cap. A customer in capped stages of several maps is
    held to every one of them, so the strictest decides; a customer in no capped stage has the
    team's cap.
    """

    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="+", verbose_name=_("team"))
    stage = models.OneToOneField(
        "journeys.Stage", on_delete=models.CASCADE, related_name="automation_cap", verbose_name=_("stage")
    )
    max_messages = models.PositiveSmallIntegerField(
        _("messages at most"), validators=[MaxValueValidator(1000)], help_text=_("Per customer now in this stage.")
    )
    per_days = models.PositiveSmallIntegerField(_("in days"), validators=[MinValueValidator(1), MaxValueValidator(90)])
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("stage frequency cap")
        verbose_name_plural = _("stage frequency caps")
        constraints = [
            models.CheckConstraint(condition=Q(per_days__gte=1, per_days__lte=90), name="stagecap_per_days_range"),
        ]

    def __str__(self) -> str:
        return f"{self.stage_id}: {self.max_messages}/{self.per_days}d"

    def clean(self) -> None:
        if self.stage_id and self.team_id and self.stage.get_team_id() != self.team_id:
            raise ValidationError({"stage": _("Choose a stage of this team's maps.")})


DEFAULT_STALL = timedelta(hours=48)
