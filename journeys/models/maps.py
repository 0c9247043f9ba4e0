import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from teams.access import history_user
from teams.models import TeamOwnedModel, TeamScopedModel, TeamScopedQuerySet

DEFAULT_STAGES = ["Awareness", "Consideration", "Decision", "Purchase", "Retention", "Advocacy"]


class Channel(models.TextChoices):
    PAGE = "page", "Web page"
    ONBOARDING = "onboarding", "Onboarding step"
    EMAIL = "email", "Email"
    PUSH = "push", "Push notification"
    SMS = "sms", "SMS"
    CHAT = "chat", "Support chat"
    STORE = "store", "Store visit"
    SOCIAL = "social", "Social"
    APP = "app", "App"
    PHONE = "phone", "Phone"
    AD = "ad", "Ad"
    OTHER = "other", "Other"


class Emotion(models.TextChoices):
    """How the customer feels at a touchpoint; each label has a score from −2 to +2."""

    FRUSTRATED = "frustrated", "Frustrated"
    ANXIOUS = "anxious", "Anxious"
    CONFUSED = "confused", "Confused"
    NEUTRAL = "neutral", "Neutral"
    CURIOUS = "curious", "Curious"
    CONFIDENT = "confident", "Confident"
    DELIGHTED = "delighted", "Delighted"


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
    FIRST_VALUE = "first_value", "First value"
    FIRST_REPEAT = "first_repeat", "First repeat order"
    FIRST_REFERRAL = "first_referral", "First referral"
    LOSS_RISK = "loss_risk", "Where losing a customer hurts most"
    OTHER = "other", "Other"


class EvidenceSource(models.TextChoices):
    SURVEY_THEME = "survey_theme", "Survey theme"
    INTERVIEW = "interview", "Interview"
    ANALYTICS = "analytics", "Analytics"
    SUPPORT = "support_records", "Support records"
    ASSUMPTION = "assumption", "Assumption"


class JourneyMap(TeamOwnedModel):
    """A customer journey for a persona in a scenario; the live rows are the draft."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        ARCHIVED = "archived", "Archived"

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    persona = models.ForeignKey(
        "personas.Persona", on_delete=models.PROTECT, null=True, blank=True, related_name="journey_maps"
    )
    scenario = models.ForeignKey(
        "personas.Scenario", on_delete=models.PROTECT, null=True, blank=True, related_name="journey_maps"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Raised by every change to the map or anything on it; a write based on an older one is refused.
    revision = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["draft", "active", "archived"]), name="map_status_valid"),
        ]

    def __str__(self) -> str:
        return self.title


class StageQuerySet(TeamScopedQuerySet):
    team_lookup = "journey_map__team"


class Stage(TeamScopedModel):
    """A column of the map: a phase of the journey."""

    class Funnel(models.TextChoices):
        TOP = "top", "Top (awareness)"
        MIDDLE = "middle", "Middle (consideration)"
        BOTTOM = "bottom", "Bottom (converted and retained)"

    journey_map = models.ForeignKey(JourneyMap, on_delete=models.CASCADE, related_name="stages")
    key = models.UUIDField(default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    funnel = models.CharField(max_length=6, choices=Funnel.choices, blank=True)

    objects = StageQuerySet.as_manager()
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["journey_map", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["journey_map", "key"], name="stage_unique_key_per_map")]

    def __str__(self) -> str:
        return self.name


class TouchpointQuerySet(TeamScopedQuerySet):
    team_lookup = "stage__journey_map__team"


class Touchpoint(TeamScopedModel):
    """A place where the customer meets the company, with how they feel there."""

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="touchpoints")
    key = models.UUIDField(default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    channel = models.CharField(max_length=12, choices=Channel.choices, default=Channel.PAGE)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    emotion = models.SmallIntegerField(
        default=0, validators=[MinValueValidator(-2), MaxValueValidator(2)], help_text="From −2 to +2."
    )
    emotion_label = models.CharField(max_length=12, choices=Emotion.choices, default=Emotion.NEUTRAL)
    is_moment = models.BooleanField("moment that matters", default=False)
    moment_kind = models.CharField(max_length=16, choices=MomentKind.choices, blank=True)
    metric_name = models.CharField(max_length=120, blank=True)
    evidence_source = models.CharField(max_length=16, choices=EvidenceSource.choices, default=EvidenceSource.ASSUMPTION)
    evidence_verified_at = models.DateField(null=True, blank=True)

    objects = TouchpointQuerySet.as_manager()
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["stage", "key"], name="touchpoint_unique_key_per_stage"),
            models.CheckConstraint(condition=Q(emotion__gte=-2, emotion__lte=2), name="touchpoint_emotion_range"),
        ]
        indexes = [models.Index(fields=["key"], name="touchpoint_key_idx")]

    def __str__(self) -> str:
        return self.name


class PainPointQuerySet(TeamScopedQuerySet):
    team_lookup = "touchpoint__stage__journey_map__team"


class PainPoint(TeamScopedModel):
    """Something that hurts the customer at a touchpoint: listed, worst first, fixed, watched."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        FIXING = "fixing", "Fixing"
        FIXED = "fixed", "Fixed"

    touchpoint = models.ForeignKey(Touchpoint, on_delete=models.CASCADE, related_name="pain_points")
    key = models.UUIDField(default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    severity = models.PositiveSmallIntegerField(default=3, validators=[MinValueValidator(1), MaxValueValidator(5)])
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)
    evidence_source = models.CharField(max_length=16, choices=EvidenceSource.choices, default=EvidenceSource.ASSUMPTION)
    evidence_verified_at = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    fixed_at = models.DateTimeField(null=True, blank=True)

    objects = PainPointQuerySet.as_manager()
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["-severity", "created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(severity__gte=1, severity__lte=5), name="painpoint_severity_range"),
            models.CheckConstraint(condition=Q(status__in=["open", "fixing", "fixed"]), name="painpoint_status_valid"),
        ]

    def __str__(self) -> str:
        return self.title


class MapVersionQuerySet(TeamScopedQuerySet):
    team_lookup = "journey_map__team"


class MapVersion(TeamScopedModel):
    """An immutable published snapshot of a map."""

    journey_map = models.ForeignKey(JourneyMap, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    note = models.TextField(blank=True)
    snapshot = models.JSONField(help_text="The whole map in the export format (see docs/journeys.md).")
    # The draft's revision when it was published: the draft has unpublished changes when it moved on.
    source_revision = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = MapVersionQuerySet.as_manager()

    class Meta:
        ordering = ["journey_map", "-number"]
        constraints = [models.UniqueConstraint(fields=["journey_map", "number"], name="mapversion_unique_number")]

    def __str__(self) -> str:
        return f"{self.journey_map} v{self.number}"
