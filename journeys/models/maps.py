import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from simple_history.models import HistoricalRecords

from teams.access import history_user
from teams.models import TeamOwnedModel, TeamScopedModel

# English names (the funnel parts are keyed by them); a new map gets them in its creator's language.
DEFAULT_STAGES = [
    gettext_noop("Awareness"),
    gettext_noop("Consideration"),
    gettext_noop("Decision"),
    gettext_noop("Purchase"),
    gettext_noop("Retention"),
    gettext_noop("Advocacy"),
]


class Channel(models.TextChoices):
    PAGE = "page", _("Web page")
    ONBOARDING = "onboarding", _("Onboarding step")
    EMAIL = "email", _("Email")
    PUSH = "push", _("Push notification")
    SMS = "sms", _("SMS")
    CHAT = "chat", _("Support chat")
    STORE = "store", _("Store visit")
    SOCIAL = "social", _("Social")
    APP = "app", _("App")
    PHONE = "phone", _("Phone")
    AD = "ad", _("Ad")
    OTHER = "other", _("Other")


class Emotion(models.TextChoices):
    """How the customer feels at a touchpoint; each label has a score from −2 to +2."""

    FRUSTRATED = "frustrated", _("Frustrated")
    ANXIOUS = "anxious", _("Anxious")
    CONFUSED = "confused", _("Confused")
    NEUTRAL = "neutral", _("Neutral")
    CURIOUS = "curious", _("Curious")
    CONFIDENT = "confident", _("Confident")
    DELIGHTED = "delighted", _("Delighted")


EMOTION_SCORE = {
    Emotion.FRUSTRATED: -2,
    Emotion.ANXIOUS: -1,
    Emotion.CONFUSED: -1,
    Emotion.NEUTRAL: 0,
    Emotion.CURIOUS: 1,
    Emotion.CONFIDENT: 1,
    Emotion.DELIGHTED: 2,
}


class MomentKind(models.TextChoices):
    FIRST_VALUE = "first_value", _("First value")
    FIRST_REPEAT = "first_repeat", _("First repeat order")
    FIRST_REFERRAL = "first_referral", _("First referral")
    LOSS_RISK = "loss_risk", _("Where losing a customer hurts most")
    OTHER = "other", _("Other")


class EvidenceSource(models.TextChoices):
    SURVEY_THEME = "survey_theme", _("Survey theme")
    INTERVIEW = "interview", _("Interview")
    ANALYTICS = "analytics", _("Analytics")
    SUPPORT = "support_records", _("Support records")
    ASSUMPTION = "assumption", _("Assumption")


class JourneyMap(TeamOwnedModel):
    """A customer journey for a persona in a scenario; the live rows are the draft."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        ARCHIVED = "archived", _("Archived")

    title = models.CharField(max_length=200, verbose_name=_("title"))
    description = models.TextField(blank=True, verbose_name=_("description"))
    # The portfolio groups maps by it (journeys/portfolio.py).
    product = models.CharField(
        max_length=120,
        blank=True,
        verbose_name=_("product or line of business"),
        help_text=_("e.g. “Mortgages” or “Web shop”: the portfolio groups maps by it."),
    )
    persona = models.ForeignKey(
        "personas.Persona",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="journey_maps",
        verbose_name=_("persona"),
    )
    scenario = models.ForeignKey(
        "personas.Scenario",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="journey_maps",
        verbose_name=_("scenario"),
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, verbose_name=_("status"))
    # Raised by every change to the map or anything on it; a write based on an older one is refused.
    revision = models.PositiveIntegerField(default=1, verbose_name=_("revision"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))
    updated_at = models.DateTimeField(default=timezone.now, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("journey map")
        verbose_name_plural = _("journey maps")
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["draft", "active", "archived"]), name="map_status_valid"),
        ]

    def __str__(self) -> str:
        return self.title


class Stage(TeamScopedModel):
    """A column of the map: a phase of the journey."""

    class Funnel(models.TextChoices):
        TOP = "top", _("Top (awareness)")
        MIDDLE = "middle", _("Middle (consideration)")
        BOTTOM = "bottom", _("Bottom (converted and retained)")

    journey_map = models.ForeignKey(
        JourneyMap, on_delete=models.CASCADE, related_name="stages", verbose_name=_("journey map")
    )
    key = models.UUIDField(default=uuid.uuid4, editable=False, verbose_name=_("key"))
    name = models.CharField(max_length=120, verbose_name=_("name"))
    description = models.TextField(blank=True, verbose_name=_("description"))
    position = models.PositiveIntegerField(default=0, verbose_name=_("position"))
    funnel = models.CharField(max_length=6, choices=Funnel.choices, blank=True, verbose_name=_("funnel"))

    team_lookup = "journey_map__team"
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["journey_map", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["journey_map", "key"], name="stage_unique_key_per_map")]

    def __str__(self) -> str:
        return self.name


class Touchpoint(TeamScopedModel):
    """A place where the customer meets the company, with how they feel there."""

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="touchpoints", verbose_name=_("stage"))
    key = models.UUIDField(default=uuid.uuid4, editable=False, verbose_name=_("key"))
    name = models.CharField(max_length=200, verbose_name=_("name"))
    channel = models.CharField(max_length=12, choices=Channel.choices, default=Channel.PAGE, verbose_name=_("channel"))
    description = models.TextField(blank=True, verbose_name=_("description"))
    position = models.PositiveIntegerField(default=0, verbose_name=_("position"))
    emotion = models.SmallIntegerField(
        default=0,
        validators=[MinValueValidator(-2), MaxValueValidator(2)],
        help_text=_("From −2 to +2."),
        verbose_name=_("emotion"),
    )
    emotion_label = models.CharField(
        max_length=12, choices=Emotion.choices, default=Emotion.NEUTRAL, verbose_name=_("emotion label")
    )
    is_moment = models.BooleanField(_("moment that matters"), default=False)
    moment_kind = models.CharField(max_length=16, choices=MomentKind.choices, blank=True, verbose_name=_("moment kind"))
    metric_name = models.CharField(max_length=120, blank=True, verbose_name=_("metric name"))
    evidence_source = models.CharField(
        max_length=16,
        choices=EvidenceSource.choices,
        default=EvidenceSource.ASSUMPTION,
        verbose_name=_("evidence source"),
    )
    evidence_verified_at = models.DateField(null=True, blank=True, verbose_name=_("evidence verified at"))

    team_lookup = "stage__journey_map__team"
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("touchpoint")
        verbose_name_plural = _("touchpoints")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["stage", "key"], name="touchpoint_unique_key_per_stage"),
            models.CheckConstraint(condition=Q(emotion__gte=-2, emotion__lte=2), name="touchpoint_emotion_range"),
        ]
        indexes = [models.Index(fields=["key"], name="touchpoint_key_idx")]

    def __str__(self) -> str:
        return self.name


class PainPoint(TeamScopedModel):
    """Something that hurts the customer at a touchpoint: listed, worst first, fixed, watched."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        FIXING = "fixing", _("Fixing")
        FIXED = "fixed", _("Fixed")

    touchpoint = models.ForeignKey(
        Touchpoint, on_delete=models.CASCADE, related_name="pain_points", verbose_name=_("touchpoint")
    )
    key = models.UUIDField(default=uuid.uuid4, editable=False, verbose_name=_("key"))
    title = models.CharField(max_length=200, verbose_name=_("title"))
    description = models.TextField(blank=True, verbose_name=_("description"))
    severity = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(5)], verbose_name=_("severity")
    )
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN, verbose_name=_("status"))
    evidence_source = models.CharField(
        max_length=16,
        choices=EvidenceSource.choices,
        default=EvidenceSource.ASSUMPTION,
        verbose_name=_("evidence source"),
    )
    evidence_verified_at = models.DateField(null=True, blank=True, verbose_name=_("evidence verified at"))
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))
    fixed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("fixed at"))

    team_lookup = "touchpoint__stage__journey_map__team"
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("pain point")
        verbose_name_plural = _("pain points")
        ordering = ["-severity", "created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(severity__gte=1, severity__lte=5), name="painpoint_severity_range"),
            models.CheckConstraint(condition=Q(status__in=["open", "fixing", "fixed"]), name="painpoint_status_valid"),
        ]

    def __str__(self) -> str:
        return self.title


class MapVersion(TeamScopedModel):
    """An immutable published snapshot of a map."""

    journey_map = models.ForeignKey(
        JourneyMap, on_delete=models.CASCADE, related_name="versions", verbose_name=_("journey map")
    )
    number = models.PositiveIntegerField(verbose_name=_("number"))
    note = models.TextField(blank=True, verbose_name=_("note"))
    snapshot = models.JSONField(
        help_text=_("The whole map in the export format (see docs/journeys.md)."), verbose_name=_("snapshot")
    )
    # The draft's revision when it was published: the draft has unpublished changes when it moved on.
    source_revision = models.PositiveIntegerField(default=0, verbose_name=_("source revision"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))

    team_lookup = "journey_map__team"

    class Meta:
        verbose_name = _("map version")
        verbose_name_plural = _("map versions")
        ordering = ["journey_map", "-number"]
        constraints = [models.UniqueConstraint(fields=["journey_map", "number"], name="mapversion_unique_number")]

    def __str__(self) -> str:
        return f"{self.journey_map} v{self.number}"
