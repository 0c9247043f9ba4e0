import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from journeys.models import Stage, Touchpoint
from owners.models import SLA, Ownership
from teams.models import Team, TeamOwnedModel, TeamScopedModel


def new_public_key() -> str:
    return secrets.token_urlsafe(16)


class Survey(TeamOwnedModel):
    """A questionnaire customers answer, placed on a team and optionally on a touchpoint."""

    class Kind(models.TextChoices):
        NPS = "nps", "NPS"
        CSAT = "csat", "CSAT"
        CES = "ces", "CES"
        CUSTOM = "custom", _("Custom")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    name = models.CharField(verbose_name=_("name"), max_length=200)
    kind = models.CharField(verbose_name=_("kind"), max_length=6, choices=Kind.choices, default=Kind.NPS)
    status = models.CharField(verbose_name=_("status"), max_length=6, choices=Status.choices, default=Status.DRAFT)
    touchpoint = models.ForeignKey(
        Touchpoint,
        verbose_name=_("touchpoint"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="surveys",
    )
    # Only the profiles in this cohort are asked (the widget's eligibility check); blank: everyone.
    audience = models.ForeignKey(
        "analytics.Cohort",
        verbose_name=_("audience"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="surveys",
        help_text=_("Only the profiles in this cohort are asked; blank: everyone."),
    )
    public_key = models.CharField(
        verbose_name=_("public key"), max_length=32, unique=True, default=new_public_key, editable=False
    )
    default_locale = models.CharField(verbose_name=_("default language"), max_length=10, default="en")
    # {locale: text}: the survey speaks the respondent's language.
    title = models.JSONField(verbose_name=_("title"), default=dict, blank=True)
    thank_you = models.JSONField(verbose_name=_("thank-you text"), default=dict, blank=True)
    allowed_origins = models.JSONField(
        verbose_name=_("sites that may embed"),
        default=list,
        blank=True,
        help_text=_("Origins allowed to embed the survey."),
    )
    recontact_days = models.PositiveIntegerField(verbose_name=_("recontact days"), default=30)
    followup_threshold = models.PositiveSmallIntegerField(
        verbose_name=_("follow-up threshold"),
        null=True,
        blank=True,
        help_text=_("A primary score under this opens a follow-up."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
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


class Question(TeamScopedModel):
    """One question of a survey; ``is_primary`` marks the one whose score is the survey's score."""

    class Kind(models.TextChoices):
        NPS = "nps", _("NPS (0–10)")
        RATING = "rating", _("Rating (1–5)")
        CES = "ces", _("Effort (1–7)")
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        TEXT = "text", _("Free text")

    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(
        verbose_name=_("key"), max_length=40, help_text=_("Stable name of the answer in responses, e.g. “score”.")
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=8, choices=Kind.choices)
    text = models.JSONField(verbose_name=_("text"), default=dict, help_text=_("{locale: text}"))
    choices = models.JSONField(
        verbose_name=_("choices"), default=list, blank=True, help_text=_("[{value, label: {locale: text}}]")
    )
    required = models.BooleanField(verbose_name=_("required"), default=False)
    is_primary = models.BooleanField(verbose_name=_("primary"), default=False)
    position = models.PositiveIntegerField(verbose_name=_("position"), default=0)

    team_lookup = "survey__team"

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
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
    team = models.ForeignKey(
        "teams.Team", verbose_name=_("team"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="responses", db_index=False
    )
    touchpoint = models.ForeignKey(
        Touchpoint,
        verbose_name=_("touchpoint"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    stage = models.ForeignKey(
        Stage,
        verbose_name=_("stage"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    submission_id = models.CharField(
        verbose_name=_("submission ID"),
        max_length=64,
        help_text=_("Generated by the client; makes retries idempotent."),
    )
    score = models.SmallIntegerField(verbose_name=_("score"), null=True, blank=True)
    # Which figure the score feeds ("nps", "csat", "ces" or ""), copied from the primary question
    # so statistics need no join to the questions.
    metric = models.CharField(verbose_name=_("metric"), max_length=4, blank=True, default="")
    answers = models.JSONField(verbose_name=_("answers"), default=dict)
    channel = models.CharField(verbose_name=_("channel"), max_length=12, blank=True)
    locale = models.CharField(verbose_name=_("language"), max_length=10, blank=True)
    respondent_id = models.CharField(verbose_name=_("respondent ID"), max_length=128, blank=True)
    page_url = models.CharField(verbose_name=_("page URL"), max_length=500, blank=True)
    user_agent = models.CharField(verbose_name=_("user agent"), max_length=300, blank=True)
    finished = models.BooleanField(verbose_name=_("finished"), default=False)
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
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
        SHOWN = "shown", _("Shown")
        DISMISSED = "dismissed", _("Dismissed")

    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="displays")
    event = models.CharField(verbose_name=_("event"), max_length=10, choices=Event.choices, default=Event.SHOWN)
    respondent_id = models.CharField(verbose_name=_("respondent ID"), max_length=128, blank=True)
    locale = models.CharField(verbose_name=_("language"), max_length=10, blank=True)
    page_url = models.CharField(verbose_name=_("page URL"), max_length=500, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("display")
        verbose_name_plural = _("displays")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["survey", "created_at"], name="display_survey_created_idx"),
            models.Index(fields=["team", "respondent_id", "created_at"], name="display_respondent_idx"),
        ]


class FollowUp(TeamOwnedModel):
    """Closing the loop: a low score opens a follow-up for the touchpoint's accountable owner."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("follow-up status", "Open")
        ACKNOWLEDGED = "acknowledged", pgettext_lazy("follow-up status", "Acknowledged")
        CLOSED = "closed", pgettext_lazy("follow-up status", "Closed")

    response = models.OneToOneField(
        Response, verbose_name=_("response"), on_delete=models.CASCADE, related_name="follow_up"
    )
    touchpoint = models.ForeignKey(
        Touchpoint, verbose_name=_("touchpoint"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # No index of its own: followup_owner_status_idx leads with it (each follow-up maintains every index).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
        db_index=False,
    )
    status = models.CharField(verbose_name=_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    due_at = models.DateTimeField(verbose_name=_("due at"))
    # When a breach still open is escalated to the team admins: due_at plus the SLA's delay.
    escalate_at = models.DateTimeField(verbose_name=_("escalate at"), null=True, blank=True)
    notes = models.TextField(verbose_name=_("notes"), blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    acknowledged_at = models.DateTimeField(verbose_name=_("acknowledged at"), null=True, blank=True)
    closed_at = models.DateTimeField(verbose_name=_("closed at"), null=True, blank=True)
    breached_at = models.DateTimeField(verbose_name=_("breached at"), null=True, blank=True)
    escalated_at = models.DateTimeField(verbose_name=_("escalated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
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

    name = models.CharField(verbose_name=_("name"), max_length=100)
    keywords = models.TextField(
        verbose_name=_("keywords"), blank=True, help_text=_("Comma-separated words or phrases.")
    )
    color = models.CharField(verbose_name=_("color"), max_length=7, default="#64748b")

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="theme_unique_name_per_team")]

    def __str__(self) -> str:
        return self.name

    @property
    def keyword_list(self) -> list[str]:
        return [k.strip().lower() for k in self.keywords.split(",") if k.strip()]


class ResponseTheme(TeamScopedModel):
    """A theme found in a response, automatically or by hand."""

    class Source(models.TextChoices):
        AUTO = "auto", _("Keywords")
        MANUAL = "manual", _("By hand")

    # No index of its own: responsetheme_unique leads with it.
    response = models.ForeignKey(
        Response, verbose_name=_("response"), on_delete=models.CASCADE, related_name="response_themes", db_index=False
    )
    theme = models.ForeignKey(Theme, verbose_name=_("theme"), on_delete=models.CASCADE, related_name="response_themes")
    source = models.CharField(verbose_name=_("source"), max_length=6, choices=Source.choices, default=Source.AUTO)

    team_lookup = "theme__team"

    class Meta:
        verbose_name = _("response theme")
        verbose_name_plural = _("response themes")
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


class MapScoreStat(TeamScopedModel):
    """The sums behind a map's scores over the last N days (per touchpoint and per stage), stored by a
    task (``stats.map_scores_refresh_all``) so the map page reads one row instead of its answers."""

    journey_map = models.ForeignKey(
        "journeys.JourneyMap", on_delete=models.CASCADE, related_name="+", verbose_name=_("journey map")
    )
    days = models.PositiveSmallIntegerField(_("days"))
    computed_at = models.DateTimeField(_("computed at"))
    # The names of the sums, in the order of each list below (``stats.AGGREGATES``): a row stored
    # under other names is not read.
    names = models.JSONField(_("names"), default=list)
    # [[touchpoint id, sum, ...], ...] and [[stage id, sum, ...], ...]: those with answers in the period.
    touchpoints = models.JSONField(_("touchpoints"), default=list)
    stages = models.JSONField(_("stages"), default=list)

    team_lookup = "journey_map__team"

    class Meta:
        ordering = ["journey_map", "days"]
        verbose_name = _("map score statistic")
        verbose_name_plural = _("map score statistics")
        constraints = [models.UniqueConstraint(fields=["journey_map", "days"], name="mapscorestat_unique_map_days")]

    def __str__(self) -> str:
        return f"{self.journey_map_id} over {self.days} d"


class ResponseDay(models.Model):
    """The statistics' sums of one survey's responses on one local day (in ``ResponseRollup.zone``), per
    stage and touchpoint, where something was scored: what ``stats.AGGREGATES`` counts. Written only
    by ``rollup.rollup_refresh``; the statistics read the full days of their window here and the rest
    from the responses (docs/feedback.md). No channel: the map's year would read several times the
    rows."""

    survey_id = models.BigIntegerField()
    day = models.DateField()
    stage_id = models.BigIntegerField(null=True)
    touchpoint_id = models.BigIntegerField(null=True)
    n = models.IntegerField(default=0)
    nps_n = models.IntegerField(default=0)
    promoters = models.IntegerField(default=0)
    detractors = models.IntegerField(default=0)
    csat_n = models.IntegerField(default=0)
    csat_good = models.IntegerField(default=0)
    ces_n = models.IntegerField(default=0)
    ces_sum = models.BigIntegerField(default=0)
    ces_sumsq = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["survey_id", "day"], name="responseday_survey_day"),
            models.Index(fields=["stage_id", "day"], name="responseday_stage_day"),
        ]

    def __str__(self) -> str:
        return f"survey {self.survey_id} on {self.day}"


class ResponseDayChannel(models.Model):
    """Every response (scored or not) of one survey on one local day, per channel: the response rate's
    numerator, stored and read as ``ResponseDay``."""

    survey_id = models.BigIntegerField()
    day = models.DateField()
    channel = models.CharField(max_length=12, blank=True)
    responses = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["survey_id", "day"], name="responsedaychannel_survey_day")]

    def __str__(self) -> str:
        return f"survey {self.survey_id} on {self.day}: {self.channel}"


class ResponseDayDirty(models.Model):
    """A (survey, local day) whose stored sums may be wrong: a response of that day was changed or
    deleted. Written by database triggers on UPDATE and DELETE of responses (migration 0015), read
    from the responses until ``rollup.rollup_refresh`` recomputes the day."""

    survey_id = models.BigIntegerField()
    day = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["survey_id", "day"], name="responsedaydirty_survey_day")]

    def __str__(self) -> str:
        return f"survey {self.survey_id} on {self.day}"


class ResponseRollup(models.Model):
    """The state of the stored daily sums (one row): in which time zone their days are, which days
    they cover (those before ``through``) and which responses (``id`` up to ``watermark``; later
    ones are read from the responses, whatever their date). ``pending`` is the highest id seen by
    the last refresh: the next refresh's watermark, once every transaction that could still be
    inserting below it has had a refresh interval to commit."""

    zone = models.CharField(max_length=64)
    through = models.DateField()
    watermark = models.BigIntegerField(default=0)
    pending = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.zone} through {self.through}"
