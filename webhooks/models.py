"""Webhook endpoints of a team and the deliveries of its events to them.

The tables keep the names they had when these models lived in ``teams``.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from teams.models import TeamOwnedModel, TeamScopedModel
from teams.signals import DomainEvent

from .messages import render


class WebhookEvent(models.TextChoices):
    """The events a webhook endpoint can subscribe to."""

    RESPONSE_CREATED = DomainEvent.RESPONSE_CREATED.value, _("A survey response was received")
    FOLLOWUP_OPENED = DomainEvent.FOLLOWUP_OPENED.value, _("A follow-up was opened")
    FOLLOWUP_BREACHED = DomainEvent.FOLLOWUP_BREACHED.value, _("A follow-up breached its SLA")
    HANDOFF_BREACHED = DomainEvent.HANDOFF_BREACHED.value, _("A hand-off breached its SLA")
    MAP_PUBLISHED = DomainEvent.MAP_PUBLISHED.value, _("A journey map version was published")
    EXPERIMENT_CONCLUDED = DomainEvent.EXPERIMENT_CONCLUDED.value, _("An experiment was concluded")
    REVIEW_RECORDED = DomainEvent.REVIEW_RECORDED.value, _("A weekly review was recorded")
    PROFILE_STAGE_CHANGED = (
        DomainEvent.PROFILE_STAGE_CHANGED.value,
        _("A customer profile entered another stage of a map"),
    )


# Sent only by "Send test event"; endpoints never subscribe to it.
WEBHOOK_TEST_EVENT = "webhook.test"


class WebhookEndpoint(TeamOwnedModel):
    """A URL of a team's integration that receives signed event deliveries."""

    team = models.ForeignKey(
        "teams.Team", on_delete=models.CASCADE, related_name="webhook_endpoints", verbose_name=_("team")
    )
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    secret = models.CharField(
        _("secret"), max_length=80, editable=False, help_text=_("Signs every delivery (HMAC-SHA256).")
    )
    event_types = models.JSONField(_("event types"), default=list, help_text=_("The events this endpoint receives."))
    is_active = models.BooleanField(_("active"), default=True)
    disabled_reason = models.CharField(_("disabled reason"), max_length=300, blank=True)
    # The reason as a code and params (webhooks/messages.py), so pages show it translated.
    disabled_message = models.JSONField(_("disabled reason (code)"), default=dict, blank=True, editable=False)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    failure_count = models.PositiveIntegerField(
        _("failure count"), default=0, help_text=_("Failed delivery attempts in a row.")
    )
    last_success_at = models.DateTimeField(_("last success at"), null=True, blank=True)
    last_failure_at = models.DateTimeField(_("last failure at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        db_table = "teams_webhookendpoint"
        ordering = ["-created_at"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.url

    @staticmethod
    def generate_secret() -> str:
        return f"whsec_{secrets.token_urlsafe(32)}"

    def subscribes_to(self, event: str) -> bool:
        return event in (self.event_types or [])

    @property
    def disabled_reason_text(self) -> str:
        """Return why the endpoint was disabled, in the active language when it has a code."""
        return render(self.disabled_message) or self.disabled_reason


class WebhookDelivery(TeamScopedModel):
    """One event sent (or to be sent) to one endpoint, with the outcome of its latest attempt."""

    team_lookup = "endpoint__team"

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RETRYING = "retrying", _("Retrying")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(_("ID"), primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("endpoint")
    )
    event = models.CharField(_("event"), max_length=60)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    response_excerpt = models.TextField(
        _("response excerpt"), blank=True, help_text=_("The first kilobyte of the receiver's answer.")
    )
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    # The error as a code and params (webhooks/messages.py), so pages show it translated.
    error_message = models.JSONField(_("error (code)"), default=dict, blank=True, editable=False)
    replay_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replays",
        verbose_name=_("replay of"),
    )
    is_test = models.BooleanField(_("test event"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        db_table = "teams_webhookdelivery"
        ordering = ["-created_at"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="webhookdelivery_endpoint_idx"),
            models.Index(fields=["status", "next_attempt_at"], name="webhookdelivery_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "retrying", "succeeded", "failed"]),
                name="webhookdelivery_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"

    @property
    def is_manual(self) -> bool:
        """Return whether an admin asked for this delivery (a test event or a replay)."""
        return self.is_test or self.replay_of_id is not None

    @property
    def error_text(self) -> str:
        """Return the error of the latest attempt, in the active language when it has a code."""
        return render(self.error_message) or self.error

    @property
    def is_done(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)
