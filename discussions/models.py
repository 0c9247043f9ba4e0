"""Threads of comments on a map or a part of it, mentions, in-app notifications and presence."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from teams.models import TeamOwnedModel, TeamScopedModel

# The longest comment kept: a page of text, not a document.
BODY_LIMIT = 5000


class Thread(TeamScopedModel):
    """A discussion about a map, one of its stages, touchpoints or pain points, or a published version."""

    class Target(models.TextChoices):
        MAP = "map", _("Map")
        STAGE = "stage", _("Stage")
        TOUCHPOINT = "touchpoint", _("Touchpoint")
        PAIN_POINT = "pain_point", _("Pain point")
        VERSION = "version", _("Version")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")

    journey_map = models.ForeignKey(
        "journeys.JourneyMap", on_delete=models.CASCADE, related_name="threads", verbose_name=_("journey map")
    )
    target = models.CharField(_("about"), max_length=10, choices=Target.choices, default=Target.MAP)
    # The part of the map discussed: at most one of these, the one ``target`` names (a check constraint).
    stage = models.ForeignKey(
        "journeys.Stage", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("stage")
    )
    touchpoint = models.ForeignKey(
        "journeys.Touchpoint",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("touchpoint"),
    )
    pain_point = models.ForeignKey(
        "journeys.PainPoint",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("pain point"),
    )
    version = models.ForeignKey(
        "journeys.MapVersion",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("version"),
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    last_comment_at = models.DateTimeField(_("last comment at"), default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    team_lookup = "journey_map__team"

    class Meta:
        verbose_name = _("thread")
        verbose_name_plural = _("threads")
        ordering = ["-last_comment_at", "-id"]
        indexes = [models.Index(fields=["journey_map", "status"], name="thread_map_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(target__in=["map", "stage", "touchpoint", "pain_point", "version"]),
                name="thread_target_valid",
            ),
            models.CheckConstraint(condition=Q(status__in=["open", "resolved"]), name="thread_status_valid"),
            # The row names exactly the part its target says (and nothing for the map itself).
            models.CheckConstraint(
                condition=(
                    Q(target="map", stage=None, touchpoint=None, pain_point=None, version=None)
                    | Q(target="stage", stage__isnull=False, touchpoint=None, pain_point=None, version=None)
                    | Q(target="touchpoint", stage=None, touchpoint__isnull=False, pain_point=None, version=None)
                    | Q(target="pain_point", stage=None, touchpoint=None, pain_point__isnull=False, version=None)
                    | Q(target="version", stage=None, touchpoint=None, pain_point=None, version__isnull=False)
                ),
                name="thread_target_matches",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_target_display()}: {self.subject}"

    @property
    def part(self):
        """Return the object discussed (the map itself for a thread about the map)."""
        return {
            self.Target.STAGE: self.stage,
            self.Target.TOUCHPOINT: self.touchpoint,
            self.Target.PAIN_POINT: self.pain_point,
            self.Target.VERSION: self.version,
        }.get(self.target, self.journey_map)

    @property
    def subject(self) -> str:
        """Return the name of what is discussed ("Checkout", "v3")."""
        part = self.part
        if self.target == self.Target.VERSION:
            return f"v{part.number}"
        return getattr(part, "name", None) or getattr(part, "title", "") or ""

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class Comment(TeamScopedModel):
    """One message of a thread; ``mentioned`` are the team members its @names notified."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="comments", verbose_name=_("thread"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(_("comment"), max_length=BODY_LIMIT)
    mentioned = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("mentioned")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)

    team_lookup = "thread__journey_map__team"

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:60]


class Notification(TeamOwnedModel):
    """Something for one person to read in the app (and by email): a comment that mentions them."""

    class Kind(models.TextChoices):
        MENTION = "mention", _("Mention")

    class Email(models.TextChoices):
        PENDING = "pending", _("Not sent yet")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Not sent")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("recipient")
    )
    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("comment")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.MENTION)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email = models.CharField(_("email"), max_length=8, choices=Email.choices, default=Email.PENDING)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["email", "created_at"], name="notification_email_due"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "comment", "kind"], name="notification_once"),
            models.CheckConstraint(condition=Q(kind__in=["mention"]), name="notification_kind_valid"),
            models.CheckConstraint(condition=Q(email__in=["pending", "sent", "skipped"]), name="notification_email"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.get_kind_display()}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class Presence(TeamScopedModel):
    """Who has a map open right now and what they are editing; a row older than ``PRESENCE_TTL`` is gone."""

    class Part(models.TextChoices):
        NOTHING = "", _("Nothing")
        MAP = "map", _("Map")
        STAGE = "stage", _("Stage")
        TOUCHPOINT = "touchpoint", _("Touchpoint")
        PAIN_POINT = "pain_point", _("Pain point")

    journey_map = models.ForeignKey(
        "journeys.JourneyMap", on_delete=models.CASCADE, related_name="+", verbose_name=_("journey map")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    editing = models.CharField(_("editing"), max_length=10, choices=Part.choices, blank=True, default="")
    editing_id = models.PositiveBigIntegerField(_("editing id"), null=True, blank=True)
    editing_name = models.CharField(_("editing name"), max_length=200, blank=True, default="")
    seen_at = models.DateTimeField(_("seen at"), default=timezone.now)

    team_lookup = "journey_map__team"

    class Meta:
        verbose_name = _("presence")
        verbose_name_plural = _("presences")
        ordering = ["seen_at"]
        constraints = [
            models.UniqueConstraint(fields=["journey_map", "user"], name="presence_once_per_map"),
            models.CheckConstraint(
                condition=Q(editing__in=["", "map", "stage", "touchpoint", "pain_point"]), name="presence_editing_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.journey_map_id}"
