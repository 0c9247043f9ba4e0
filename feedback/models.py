import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from journeys.models import SLA, Ownership, Stage, Touchpoint
from teams.models import Team, TeamOwnedModel, TeamScopedModel, TeamScopedQuerySet


def new_public_key() -> str:
    return secrets.token_urlsafe(16)


class Survey(TeamOwnedModel):
    """A questionnaire customers answer, placed on a team and optionally on a touchpoint."""

    class Kind(models.TextChoices):
        NPS = "nps", "NPS"
        CSAT = "csat", "CSAT"
        CES = "ces", "CES"
        CUSTOM = "custom", "Custom"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=6, choices=Kind.choices, default=Kind.NPS)
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.DRAFT)
    touchpoint = models.ForeignKey(Touchpoint, on_delete=models.SET_NULL, null=True, blank=True, related_name="surveys")
    public_key = models.CharField(max_length=32, unique=True, default=new_public_key, editable=False)
    default_locale = models.CharField(max_length=10, default="en")
    # {locale: text}: the survey speaks the respondent's language.
    title = models.JSONField(default=dict, blank=True)
    thank_you = models.JSONField(default=dict, blank=True)
    allowed_origins = models.JSONField(default=list, blank=True, help_text="Origins allowed to embed the survey.")
    recontact_days = models.PositiveIntegerField(default=30)
    followup_threshold = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="A primary score under this opens a follow-up."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["nps", "csat", "ces", "custom"]), name="survey_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=["draft", "active", "closed"]), name="survey_status_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("feedback:survey_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.ACTIVE

    def text_for(self, field: str, locale: str) -> str:
        """Return the survey's ``field`` (title or thank_you) in ``locale``, falling back to the default."""
        return pick_text(getattr(self, field), locale, self.default_locale)


RTL_LANGUAGES = {"ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv", "ku"}


def language_of(locale: str) -> str:
    return (locale or "").replace("_", "-").split("-")[0].lower()


def is_rtl(locale: str) -> bool:
    return language_of(locale) in RTL_LANGUAGES


def pick_text(texts: dict, locale: str, default_locale: str = "en") -> str:
    """Return the text for ``locale`` (exact, then its language, then the default, then any)."""
    if not isinstance(texts, dict) or not texts:
        return ""
    locale = (locale or "").replace("_", "-")
    for candidate in (locale, language_of(locale), default_locale, language_of(default_locale), "en"):
        if candidate and texts.get(candidate):
            return texts[candidate]
    for key in sorted(texts):
        if texts[key]:
            return texts[key]
    return ""


# The kind of figure a primary question's score feeds: NPS, CSAT (rating 1–5) or CES (1–7).
METRIC_BY_QUESTION_KIND = {"nps": "nps", "rating": "csat", "ces": "ces"}


class QuestionQuerySet(TeamScopedQuerySet):
    team_lookup = "survey__team"


class Question(TeamScopedModel):
    """One question of a survey; ``is_primary`` marks the one whose score is the survey's score."""

    class Kind(models.TextChoices):
        NPS = "nps", "NPS (0–10)"
        RATING = "rating", "Rating (1–5)"
        CES = "ces", "Effort (1–7)"
        SINGLE = "single", "Single choice"
        MULTIPLE = "multiple", "Multiple choice"
        TEXT = "text", "Free text"

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(max_length=40, help_text="Stable name of the answer in responses, e.g. “score”.")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    text = models.JSONField(default=dict, help_text="{locale: text}")
    choices = models.JSONField(default=list, blank=True, help_text="[{value, label: {locale: text}}]")
    required = models.BooleanField(default=False)
    is_primary = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["survey", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "key"], name="question_unique_key_per_survey"),
            models.UniqueConstraint(
                fields=["survey"], condition=Q(is_primary=True), name="question_one_primary_per_survey"
            ),
        ]

    def __str__(self) -> str:
        return self.key

    SCALES = {"nps": (0, 10), "rating": (1, 5), "ces": (1, 7)}

    @property
    def is_scored(self) -> bool:
        return self.kind in self.SCALES

    @property
    def scale(self) -> tuple[int, int] | None:
        return self.SCALES.get(self.kind)

    @property
    def scale_values(self) -> list[int]:
        low, high = self.SCALES.get(self.kind, (0, -1))
        return list(range(low, high + 1))

    @property
    def choice_values(self) -> list[str]:
        return [str(c.get("value")) for c in self.choices if isinstance(c, dict)]

    def text_for(self, locale: str, default_locale: str = "en") -> str:
        return pick_text(self.text, locale, default_locale)


class Response(TeamOwnedModel):
    """One respondent's answers; the primary score has its own indexed column for SQL statistics."""

    # No single-column indexes on the foreign keys: the composite indexes below lead with each of
    # them (every insert maintains every index; the public submission inserts a row per answer).
    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="+", db_index=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses", db_index=False)
    touchpoint = models.ForeignKey(
        Touchpoint, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    stage = models.ForeignKey(Stage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False)
    submission_id = models.CharField(max_length=64, help_text="Generated by the client; makes retries idempotent.")
    score = models.SmallIntegerField(null=True, blank=True)
    # Which figure the score feeds ("nps", "csat", "ces" or ""), copied from the primary question
    # so statistics need no join to the questions.
    metric = models.CharField(max_length=4, blank=True, default="")
    answers = models.JSONField(default=dict)
    channel = models.CharField(max_length=12, blank=True)
    locale = models.CharField(max_length=10, blank=True)
    respondent_id = models.CharField(max_length=128, blank=True)
    page_url = models.CharField(max_length=500, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    finished = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "submission_id"], name="response_unique_submission"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=10), name="response_score_range"
            ),
        ]
        # Statistics read (survey | touchpoint | stage, created_at) ranges and need only the metric
        # and score: they are the indexes' trailing columns, so the aggregation can read the index alone.
        indexes = [
            models.Index(fields=["survey", "created_at", "metric", "score"], name="response_survey_created_idx"),
            models.Index(fields=["touchpoint", "created_at", "metric", "score"], name="response_tp_created_idx"),
            models.Index(fields=["stage", "created_at", "metric", "score"], name="response_stage_created_idx"),
            models.Index(fields=["team", "created_at"], name="response_team_created_idx"),
            # Only answers that carry a respondent id: the eligibility check looks one id up, and
            # anonymous answers (most from the widget) then write one index fewer.
            models.Index(
                fields=["team", "respondent_id", "created_at"],
                name="response_respondent_idx",
                condition=~Q(respondent_id=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey}: {self.score}"


class Display(TeamOwnedModel):
    """A survey shown to (or dismissed by) a respondent, so response rates are known."""

    class Event(models.TextChoices):
        SHOWN = "shown", "Shown"
        DISMISSED = "dismissed", "Dismissed"

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="displays")
    event = models.CharField(max_length=10, choices=Event.choices, default=Event.SHOWN)
    respondent_id = models.CharField(max_length=128, blank=True)
    locale = models.CharField(max_length=10, blank=True)
    page_url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["survey", "created_at"], name="display_survey_created_idx"),
            models.Index(fields=["team", "respondent_id", "created_at"], name="display_respondent_idx"),
        ]


class FollowUp(TeamOwnedModel):
    """Closing the loop: a low score opens a follow-up for the touchpoint's accountable owner."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        CLOSED = "closed", "Closed"

    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="follow_up")
    touchpoint = models.ForeignKey(Touchpoint, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # No index of its own: followup_owner_status_idx leads with it (each follow-up maintains every index).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
        db_index=False,
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    due_at = models.DateTimeField()
    # When a breach still open is escalated to the team admins: due_at plus the SLA's delay.
    escalate_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        indexes = [
            models.Index(fields=["due_at"], condition=~Q(status="closed"), name="followup_open_due_idx"),
            models.Index(fields=["owner", "status"], name="followup_owner_status_idx"),
            models.Index(
                fields=["escalate_at"],
                condition=~Q(status="closed") & Q(escalated_at__isnull=True),
                name="followup_escalate_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["open", "acknowledged", "closed"]), name="followup_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Follow-up on {self.response_id}"

    @property
    def is_overdue(self) -> bool:
        return self.status != self.Status.CLOSED and self.due_at < timezone.now()


class Theme(TeamOwnedModel):
    """A team-defined theme of open-text answers, found by keywords or tagged by hand."""

    name = models.CharField(max_length=100)
    keywords = models.TextField(blank=True, help_text="Comma-separated words or phrases.")
    color = models.CharField(max_length=7, default="#64748b")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="theme_unique_name_per_team")]

    def __str__(self) -> str:
        return self.name

    @property
    def keyword_list(self) -> list[str]:
        return [k.strip().lower() for k in self.keywords.split(",") if k.strip()]


class ResponseThemeQuerySet(TeamScopedQuerySet):
    team_lookup = "theme__team"


class ResponseTheme(TeamScopedModel):
    """A theme found in a response, automatically or by hand."""

    class Source(models.TextChoices):
        AUTO = "auto", "Keywords"
        MANUAL = "manual", "By hand"

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="response_themes")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="response_themes")
    source = models.CharField(max_length=6, choices=Source.choices, default=Source.AUTO)

    objects = ResponseThemeQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "theme"], name="responsetheme_unique")]


def _definition_changed(sender, **kwargs) -> None:
    """Any save or delete of a survey or a question: the per-process definition caches reload."""
    from .survey_cache import bump

    bump()


def _themes_changed(sender, **kwargs) -> None:
    """Any save or delete of a theme: the per-process theme caches reload."""
    from .survey_cache import themes_changed

    themes_changed()


def _routing_changed(sender, **kwargs) -> None:
    """An owner, an SLA or a team (its hours): follow-up routing reloads."""
    from .survey_cache import routing_changed

    routing_changed()


def _touchpoint_changed(sender, **kwargs) -> None:
    """A touchpoint (its stage): the surveys placed on it and its follow-up routing reload."""
    from .survey_cache import bump, routing_changed

    bump()
    routing_changed()


for _model, _receiver in (
    (Survey, _definition_changed),
    (Question, _definition_changed),
    (Theme, _themes_changed),
    (Ownership, _routing_changed),
    (SLA, _routing_changed),
    (Touchpoint, _touchpoint_changed),
    (Team, _routing_changed),
):
    models.signals.post_save.connect(_receiver, sender=_model, dispatch_uid=f"survey-cache-{_model.__name__}")
    models.signals.post_delete.connect(_receiver, sender=_model, dispatch_uid=f"survey-cache-delete-{_model.__name__}")
