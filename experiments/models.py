"""Metrics, their observations, and experiments that tie a change on the journey to a metric."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from teams.access import history_user
from teams.models import TeamOwnedModel, TeamScopedModel


class Metric(TeamOwnedModel):
    """Something measured on the journey: a rate, a mean, a count or an NPS."""

    class Kind(models.TextChoices):
        PROPORTION = "proportion", _("Proportion (rate)")
        MEAN = "mean", _("Mean")
        COUNT = "count", _("Count")
        NPS = "nps", _("NPS")

    class Better(models.TextChoices):
        HIGHER = "higher", _("Higher is better")
        LOWER = "lower", _("Lower is better")

    class Behaviour(models.TextChoices):
        # Blank: observations are entered, imported or computed from a survey.
        NONE = "", _("Observations entered or imported")
        ACTIVATION = "moment_activation", _("Moment activation, computed from events")
        EVENT_COUNT = "event_count", _("Events per profile, computed from events")

    name = models.CharField(_("name"), max_length=120)
    key = models.SlugField(
        _("key"), max_length=60, help_text=_("Stable identifier integrations use, unique in the team.")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PROPORTION)
    unit = models.CharField(_("unit"), max_length=30, blank=True, help_text=_("e.g. “%”, “days”, “€”."))
    better = models.CharField(_("better"), max_length=6, choices=Better.choices, default=Better.HIGHER)
    description = models.TextField(_("description"), blank=True)
    journey_map = models.ForeignKey(
        "journeys.JourneyMap",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="metrics",
        verbose_name=_("journey map"),
    )
    stage = models.ForeignKey(
        "journeys.Stage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("stage")
    )
    touchpoint = models.ForeignKey(
        "journeys.Touchpoint",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("touchpoint"),
    )
    survey = models.ForeignKey(
        "feedback.Survey",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("For NPS metrics: the survey whose answers give the score."),
        verbose_name=_("survey"),
    )
    # Behavioural metrics compute their own daily observations from events (analytics.moments):
    # the day's new profiles, reaching the moment (the touchpoint above, or ``event_name``) or
    # counting ``event_name`` within ``window_days`` of first seen, split by ``segment_trait``.
    behaviour = models.CharField(_("computed from"), max_length=20, choices=Behaviour.choices, blank=True, default="")
    event_name = models.CharField(
        _("event name"),
        max_length=200,
        blank=True,
        help_text=_("Behavioural metrics: the event counted, or that means the moment was reached."),
    )
    window_days = models.PositiveSmallIntegerField(
        _("window (days)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("Behavioural metrics: days after a profile is first seen that count."),
    )
    segment_trait = models.CharField(
        _("segment trait"),
        max_length=100,
        blank=True,
        help_text=_("Behavioural metrics: the profile trait whose value is the segment, e.g. returns_page_variant."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("metric")
        verbose_name_plural = _("metrics")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "key"], name="metric_unique_key_per_team"),
            models.CheckConstraint(
                condition=Q(kind__in=["proportion", "mean", "count", "nps"]), name="metric_kind_valid"
            ),
            models.CheckConstraint(condition=Q(better__in=["higher", "lower"]), name="metric_better_valid"),
            models.CheckConstraint(
                condition=Q(behaviour__in=["", "moment_activation", "event_count"]), name="metric_behaviour_valid"
            ),
            models.CheckConstraint(condition=Q(window_days__gte=1, window_days__lte=90), name="metric_window_range"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("experiments:metric_detail", args=[self.pk])


class Observation(TeamScopedModel):
    """A measured value of a metric for a period and an optional segment (e.g. control/treatment)."""

    class Source(models.TextChoices):
        API = "api", _("API")
        CSV = "csv", _("CSV import")
        SURVEY = "survey", _("Survey answers")
        MANUAL = "manual", _("Entered by hand")
        EVENTS = "events", _("Computed from events")

    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="observations", verbose_name=_("metric"))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    segment = models.CharField(
        _("segment"), max_length=60, blank=True, default="", help_text=_("e.g. control, treatment; blank: all.")
    )
    value = models.FloatField(_("value"), help_text=_("The measured value: the rate, the mean, the count or the NPS."))
    sample_size = models.PositiveIntegerField(_("sample size"), null=True, blank=True)
    successes = models.PositiveIntegerField(
        _("successes"), null=True, blank=True, help_text=_("Proportions: how many succeeded.")
    )
    mean = models.FloatField(_("mean"), null=True, blank=True)
    sd = models.FloatField(_("standard deviation"), null=True, blank=True)
    promoters = models.PositiveIntegerField(_("promoters"), null=True, blank=True, help_text=_("NPS: answers of 9–10."))
    detractors = models.PositiveIntegerField(
        _("detractors"), null=True, blank=True, help_text=_("NPS: answers of 0–6.")
    )
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.MANUAL)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    team_lookup = "metric__team"

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
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

    name = models.CharField(_("name"), max_length=40)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="experiment_tag_unique_name")]

    def __str__(self) -> str:
        return self.name


POPULATION_PREFIX = "cohort:"


def population_segment(cohort_id: int, segment: str = "") -> str:
    """Return the segment under which a behavioural metric's observations count one population only."""
    scope = f"{POPULATION_PREFIX}{cohort_id}"
    return f"{scope}:{segment}"[:60] if segment else scope


class Experiment(TeamOwnedModel):
    """A pre-registered hypothesis: a change on the journey that should move a metric by an expected effect."""

    class Status(models.TextChoices):
        IDEA = "idea", _("Idea")
        PLANNED = "planned", _("Planned")
        RUNNING = "running", _("Running")
        ANALYSING = "analysing", _("Analysing")
        CONCLUDED = "concluded", _("Concluded")
        ARCHIVED = "archived", _("Archived")

    class Design(models.TextChoices):
        AB = "ab", _("Randomised A/B between two segments")
        BEFORE_AFTER = "before_after", _("Before/after between two periods")

    class Direction(models.TextChoices):
        INCREASE = "increase", _("Increase")
        DECREASE = "decrease", _("Decrease")

    class EffectUnit(models.TextChoices):
        # xgettext:no-python-format
        RELATIVE = "relative", _("% of the baseline")
        ABSOLUTE = "absolute", _("in the metric's units (percentage points for a proportion)")

    class Outcome(models.TextChoices):
        SUPPORTED = "supported", _("Supported")
        REFUTED = "refuted", _("Refuted")
        INCONCLUSIVE = "inconclusive", _("Inconclusive")

    class Decision(models.TextChoices):
        SHIP = "ship", _("Ship")
        ITERATE = "iterate", _("Iterate")
        REVERT = "revert", pgettext_lazy("experiment decision", "Revert")

    # The pre-registration: frozen from ``running`` on (see ``FROZEN_FIELDS``).
    title = models.CharField(_("title"), max_length=200)
    change = models.TextField(_("change"), help_text=_("What we change, e.g. “Cut onboarding from 4 steps to 3”."))
    primary_metric = models.ForeignKey(
        Metric,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="primary_for",
        verbose_name=_("primary metric"),
    )
    expected_direction = models.CharField(
        _("expected direction"), max_length=8, choices=Direction.choices, default=Direction.INCREASE
    )
    expected_effect = models.FloatField(
        _("expected effect"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_(
            "Size of the expected change, e.g. 8. Absolute on a proportion: percentage points "
            "(2 means 30 % → 32 %, not 0.02)."
        ),
    )
    expected_effect_unit = models.CharField(
        _("expected effect unit"), max_length=8, choices=EffectUnit.choices, default=EffectUnit.RELATIVE
    )
    rationale = models.TextField(
        _("rationale"), blank=True, help_text=_("Because … — why we believe the change moves the metric.")
    )
    guardrail_metrics = models.ManyToManyField(
        Metric, blank=True, related_name="guardrail_for", verbose_name=_("guardrail metrics")
    )
    # Behavioural metrics count only this cohort's profiles for this experiment; blank: everyone.
    population = models.ForeignKey(
        "analytics.Cohort",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="experiments",
        verbose_name=_("population"),
        help_text=_("A cohort: metrics computed from events count only its profiles; blank: everyone."),
    )
    design = models.CharField(_("design"), max_length=12, choices=Design.choices, default=Design.AB)
    significance_level = models.FloatField(
        _("significance level"),
        default=0.05,
        validators=[MinValueValidator(0.001), MaxValueValidator(0.2)],
        help_text=_("α, e.g. 0.05."),
    )
    control_segment = models.CharField(_("control segment"), max_length=60, default="control")
    treatment_segment = models.CharField(_("treatment segment"), max_length=60, default="treatment")
    planned_split = models.FloatField(
        _("planned split"),
        default=0.5,
        validators=[MinValueValidator(0.01), MaxValueValidator(0.99)],
        help_text=_("A/B: the treatment's planned share of the sample."),
    )
    baseline_start = models.DateField(
        _("baseline start"), null=True, blank=True, help_text=_("Before/after: first day of the before window.")
    )
    baseline_end = models.DateField(_("baseline end"), null=True, blank=True)
    test_start = models.DateField(
        _("test start"), null=True, blank=True, help_text=_("A/B: the run; before/after: the after window.")
    )
    test_end = models.DateField(_("test end"), null=True, blank=True)

    # Where on the journey the change acts.
    journey_map = models.ForeignKey(
        "journeys.JourneyMap",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="experiments",
        verbose_name=_("journey map"),
    )
    # No reverse accessor: the map annotator sets ``stage.experiments`` / ``touchpoint.experiments``.
    stage = models.ForeignKey(
        "journeys.Stage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("stage")
    )
    touchpoint = models.ForeignKey(
        "journeys.Touchpoint",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("touchpoint"),
    )
    pain_point = models.ForeignKey(
        "journeys.PainPoint",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="experiments",
        verbose_name=_("pain point"),
    )

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="experiments",
        verbose_name=_("owner"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="experiments", verbose_name=_("tags"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.IDEA)

    # The conclusion.
    result = models.JSONField(_("result"), null=True, blank=True, editable=False)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices, blank=True)
    learning = models.TextField(_("learning"), blank=True)
    map_version = models.ForeignKey(
        "journeys.MapVersion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="experiments",
        verbose_name=_("map version"),
    )

    revision = models.PositiveIntegerField(
        _("revision"), default=1, help_text=_("Raised by every change; stale writes are refused.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    concluded_at = models.DateTimeField(_("concluded at"), null=True, blank=True)
    concluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("concluded by"),
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
        "population",
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
        verbose_name = _("experiment")
        verbose_name_plural = _("experiments")
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

    def segment_for(self, metric: Metric, segment: str = "") -> str:
        """Return the observation segment that holds ``segment`` of ``metric`` for this experiment.

        A behavioural metric of an experiment with a population is read from the observations
        computed over that population only; any other metric's observations are as stored.
        """
        if self.population_id and metric.behaviour:
            return population_segment(self.population_id, segment)
        return segment

    def get_absolute_url(self) -> str:
        return reverse("experiments:detail", args=[self.pk])

    @property
    def is_frozen(self) -> bool:
        """Return whether the pre-registration is frozen (the experiment has started running)."""
        return self.status in self.FROZEN_STATUSES

    @property
    def hypothesis(self) -> str:
        """Return the hypothesis in the seeds' form: change → metric moves by the expected effect."""
        names = {"metric": self.primary_metric.name if self.primary_metric_id else gettext("the metric")}
        increase = self.expected_direction == self.Direction.INCREASE
        if self.expected_effect is not None:
            names["size"] = self.expected_effect_text
            movement = gettext("%(metric)s rises by %(size)s") if increase else gettext("%(metric)s falls by %(size)s")
        else:
            movement = gettext("%(metric)s rises") if increase else gettext("%(metric)s falls")
        parts = {"change": f"{self.change[:1].lower()}{self.change[1:]}", "movement": movement % names}
        if self.rationale:
            return gettext("If we %(change)s, %(movement)s, because %(rationale)s") % {
                **parts,
                "rationale": self.rationale,
            }
        return gettext("If we %(change)s, %(movement)s") % parts

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
            # Translators: "pp" is percentage points, the unit of a change of a rate.
            return gettext("%(size)s pp") % {"size": size}
        if metric is not None and metric.kind == Metric.Kind.NPS:
            return gettext("%(size)s NPS points") % {"size": size}
        return f"{size} {metric.unit if metric is not None else ''}".strip()


class Deviation(TeamScopedModel):
    """A recorded change to a frozen pre-registration: who, when, what and why."""

    experiment = models.ForeignKey(
        Experiment, on_delete=models.CASCADE, related_name="deviations", verbose_name=_("experiment")
    )
    field = models.CharField(_("field"), max_length=40)
    old_value = models.TextField(_("old value"), blank=True)
    new_value = models.TextField(_("new value"), blank=True)
    reason = models.TextField(_("reason"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    team_lookup = "experiment__team"

    class Meta:
        verbose_name = _("deviation")
        verbose_name_plural = _("deviations")
        ordering = ["experiment", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.experiment}: {self.field}"
