"""Metrics, their observations, and experiments that tie a change on the journey to a metric."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from teams.access import history_user
from teams.models import TeamOwnedModel, TeamScopedModel, TeamScopedQuerySet


class Metric(TeamOwnedModel):
    """Something measured on the journey: a rate, a mean, a count or an NPS."""

    class Kind(models.TextChoices):
        PROPORTION = "proportion", "Proportion (rate)"
        MEAN = "mean", "Mean"
        COUNT = "count", "Count"
        NPS = "nps", "NPS"

    class Better(models.TextChoices):
        HIGHER = "higher", "Higher is better"
        LOWER = "lower", "Lower is better"

    name = models.CharField(max_length=120)
    key = models.SlugField(max_length=60, help_text="Stable identifier integrations use, unique in the team.")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PROPORTION)
    unit = models.CharField(max_length=30, blank=True, help_text="e.g. “%”, “days”, “€”.")
    better = models.CharField(max_length=6, choices=Better.choices, default=Better.HIGHER)
    description = models.TextField(blank=True)
    journey_map = models.ForeignKey(
        "journeys.JourneyMap", on_delete=models.SET_NULL, null=True, blank=True, related_name="metrics"
    )
    stage = models.ForeignKey("journeys.Stage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    touchpoint = models.ForeignKey(
        "journeys.Touchpoint", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    survey = models.ForeignKey(
        "feedback.Survey",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="For NPS metrics: the survey whose answers give the score.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "key"], name="metric_unique_key_per_team"),
            models.CheckConstraint(
                condition=Q(kind__in=["proportion", "mean", "count", "nps"]), name="metric_kind_valid"
            ),
            models.CheckConstraint(condition=Q(better__in=["higher", "lower"]), name="metric_better_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("experiments:metric_detail", args=[self.pk])


class ObservationQuerySet(TeamScopedQuerySet):
    team_lookup = "metric__team"


class Observation(TeamScopedModel):
    """A measured value of a metric for a period and an optional segment (e.g. control/treatment)."""

    class Source(models.TextChoices):
        API = "api", "API"
        CSV = "csv", "CSV import"
        SURVEY = "survey", "Survey answers"
        MANUAL = "manual", "Entered by hand"

    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="observations")
    period_start = models.DateField()
    period_end = models.DateField()
    segment = models.CharField(max_length=60, blank=True, default="", help_text="e.g. control, treatment; blank: all.")
    value = models.FloatField(help_text="The measured value: the rate, the mean, the count or the NPS.")
    sample_size = models.PositiveIntegerField(null=True, blank=True)
    successes = models.PositiveIntegerField(null=True, blank=True, help_text="Proportions: how many succeeded.")
    mean = models.FloatField(null=True, blank=True)
    sd = models.FloatField("standard deviation", null=True, blank=True)
    promoters = models.PositiveIntegerField(null=True, blank=True, help_text="NPS: answers of 9–10.")
    detractors = models.PositiveIntegerField(null=True, blank=True, help_text="NPS: answers of 0–6.")
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.MANUAL)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ObservationQuerySet.as_manager()

    class Meta:
        ordering = ["metric", "period_start", "segment"]
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "period_start", "period_end", "segment"], name="observation_unique_period_segment"
            ),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="observation_period_order"),
            models.CheckConstraint(
                condition=Q(successes__isnull=True) | Q(sample_size__isnull=True) | Q(successes__lte=F("sample_size")),
                name="observation_successes_le_n",
            ),
            models.CheckConstraint(condition=Q(sd__isnull=True) | Q(sd__gte=0), name="observation_sd_nonnegative"),
        ]
        indexes = [models.Index(fields=["metric", "segment", "period_start"], name="observation_metric_seg_idx")]

    def __str__(self) -> str:
        segment = f" [{self.segment}]" if self.segment else ""
        return f"{self.metric} {self.period_start}–{self.period_end}{segment}: {self.value}"


class Tag(TeamOwnedModel):
    """A label that groups experiments (e.g. “onboarding”, “pricing”)."""

    name = models.CharField(max_length=40)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="experiment_tag_unique_name")]

    def __str__(self) -> str:
        return self.name


class Experiment(TeamOwnedModel):
    """A pre-registered hypothesis: a change on the journey that should move a metric by an expected effect."""

    class Status(models.TextChoices):
        IDEA = "idea", "Idea"
        PLANNED = "planned", "Planned"
        RUNNING = "running", "Running"
        ANALYSING = "analysing", "Analysing"
        CONCLUDED = "concluded", "Concluded"
        ARCHIVED = "archived", "Archived"

    class Design(models.TextChoices):
        AB = "ab", "Randomised A/B between two segments"
        BEFORE_AFTER = "before_after", "Before/after between two periods"

    class Direction(models.TextChoices):
        INCREASE = "increase", "Increase"
        DECREASE = "decrease", "Decrease"

    class EffectUnit(models.TextChoices):
        RELATIVE = "relative", "% of the baseline"
        ABSOLUTE = "absolute", "in the metric's units (percentage points for a proportion)"

    class Outcome(models.TextChoices):
        SUPPORTED = "supported", "Supported"
        REFUTED = "refuted", "Refuted"
        INCONCLUSIVE = "inconclusive", "Inconclusive"

    class Decision(models.TextChoices):
        SHIP = "ship", "Ship"
        ITERATE = "iterate", "Iterate"
        REVERT = "revert", "Revert"

    # The pre-registration: frozen from ``running`` on (see ``FROZEN_FIELDS``).
    title = models.CharField(max_length=200)
    change = models.TextField(help_text="What we change, e.g. “Cut onboarding from 4 steps to 3”.")
    primary_metric = models.ForeignKey(
        Metric, on_delete=models.PROTECT, null=True, blank=True, related_name="primary_for"
    )
    expected_direction = models.CharField(max_length=8, choices=Direction.choices, default=Direction.INCREASE)
    expected_effect = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Size of the expected change, e.g. 8. Absolute on a proportion: percentage points "
        "(2 means 30 % → 32 %, not 0.02).",
    )
    expected_effect_unit = models.CharField(max_length=8, choices=EffectUnit.choices, default=EffectUnit.RELATIVE)
    rationale = models.TextField(blank=True, help_text="Because … — why we believe the change moves the metric.")
    guardrail_metrics = models.ManyToManyField(Metric, blank=True, related_name="guardrail_for")
    design = models.CharField(max_length=12, choices=Design.choices, default=Design.AB)
    significance_level = models.FloatField(
        default=0.05, validators=[MinValueValidator(0.001), MaxValueValidator(0.2)], help_text="α, e.g. 0.05."
    )
    control_segment = models.CharField(max_length=60, default="control")
    treatment_segment = models.CharField(max_length=60, default="treatment")
    planned_split = models.FloatField(
        default=0.5,
        validators=[MinValueValidator(0.01), MaxValueValidator(0.99)],
        help_text="A/B: the treatment's planned share of the sample.",
    )
    baseline_start = models.DateField(null=True, blank=True, help_text="Before/after: first day of the before window.")
    baseline_end = models.DateField(null=True, blank=True)
    test_start = models.DateField(null=True, blank=True, help_text="A/B: the run; before/after: the after window.")
    test_end = models.DateField(null=True, blank=True)

    # Where on the journey the change acts.
    journey_map = models.ForeignKey(
        "journeys.JourneyMap", on_delete=models.SET_NULL, null=True, blank=True, related_name="experiments"
    )
    # No reverse accessor: the map annotator sets ``stage.experiments`` / ``touchpoint.experiments``.
    stage = models.ForeignKey("journeys.Stage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    touchpoint = models.ForeignKey(
        "journeys.Touchpoint", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    pain_point = models.ForeignKey(
        "journeys.PainPoint", on_delete=models.SET_NULL, null=True, blank=True, related_name="experiments"
    )

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="experiments"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="experiments")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.IDEA)

    # The conclusion.
    result = models.JSONField(null=True, blank=True, editable=False)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    decision = models.CharField(max_length=8, choices=Decision.choices, blank=True)
    learning = models.TextField(blank=True)
    map_version = models.ForeignKey(
        "journeys.MapVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="experiments"
    )

    revision = models.PositiveIntegerField(default=1, help_text="Raised by every change; stale writes are refused.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    concluded_at = models.DateTimeField(null=True, blank=True)
    concluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords(get_user=history_user)

    FROZEN_FIELDS = (
        "change",
        "primary_metric",
        "expected_direction",
        "expected_effect",
        "expected_effect_unit",
        "rationale",
        "guardrail_metrics",
        "design",
        "significance_level",
        "control_segment",
        "treatment_segment",
        "planned_split",
        "baseline_start",
        "baseline_end",
        "test_start",
        "test_end",
    )
    FROZEN_STATUSES = ("running", "analysing", "concluded", "archived")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["idea", "planned", "running", "analysing", "concluded", "archived"]),
                name="experiment_status_valid",
            ),
            models.CheckConstraint(condition=Q(design__in=["ab", "before_after"]), name="experiment_design_valid"),
            models.CheckConstraint(
                condition=Q(significance_level__gt=0, significance_level__lt=1), name="experiment_alpha_range"
            ),
            models.CheckConstraint(
                condition=Q(planned_split__gt=0, planned_split__lt=1), name="experiment_split_range"
            ),
        ]
        indexes = [models.Index(fields=["team", "status"], name="experiment_team_status_idx")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("experiments:detail", args=[self.pk])

    @property
    def is_frozen(self) -> bool:
        """Return whether the pre-registration is frozen (the experiment has started running)."""
        return self.status in self.FROZEN_STATUSES

    @property
    def hypothesis(self) -> str:
        """Return the hypothesis in the seeds' form: change → metric moves by the expected effect."""
        metric = self.primary_metric.name if self.primary_metric_id else "the metric"
        verb = "rises" if self.expected_direction == self.Direction.INCREASE else "falls"
        size = f" by {self.expected_effect_text}" if self.expected_effect is not None else ""
        because = f", because {self.rationale}" if self.rationale else ""
        return f"If we {self.change[:1].lower()}{self.change[1:]}, {metric} {verb}{size}{because}"

    @property
    def expected_effect_text(self) -> str:
        """Return the expected effect with its unit: "8 %" (relative), "2 pp" (a proportion), "0.5 days"."""
        if self.expected_effect is None:
            return ""
        size = f"{self.expected_effect:g}"
        if self.expected_effect_unit == self.EffectUnit.RELATIVE:
            return f"{size} %"
        metric = self.primary_metric if self.primary_metric_id else None
        if metric is not None and metric.kind == Metric.Kind.PROPORTION:
            return f"{size} pp"
        if metric is not None and metric.kind == Metric.Kind.NPS:
            return f"{size} NPS points"
        return f"{size} {metric.unit if metric is not None else ''}".strip()


class DeviationQuerySet(TeamScopedQuerySet):
    team_lookup = "experiment__team"


class Deviation(TeamScopedModel):
    """A recorded change to a frozen pre-registration: who, when, what and why."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="deviations")
    field = models.CharField(max_length=40)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    reason = models.TextField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = DeviationQuerySet.as_manager()

    class Meta:
        ordering = ["experiment", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.experiment}: {self.field}"
