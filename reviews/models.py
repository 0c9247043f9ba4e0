"""The weekly review: reviews of a map, their action items, and each team's review rhythm."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from teams.access import history_user
from teams.models import TeamScopedModel, TeamScopedQuerySet


class ReviewSettingsQuerySet(TeamScopedQuerySet):
    pass


class ReviewSettings(TeamScopedModel):
    """A team's review rhythm and when its weekly digest goes out (in the team's time zone)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 1, _("Monday")
        TUESDAY = 2, _("Tuesday")
        WEDNESDAY = 3, _("Wednesday")
        THURSDAY = 4, _("Thursday")
        FRIDAY = 5, _("Friday")
        SATURDAY = 6, _("Saturday")
        SUNDAY = 7, _("Sunday")

    team = models.OneToOneField(
        "teams.Team", on_delete=models.CASCADE, related_name="review_settings", verbose_name=_("team")
    )
    review_cadence_days = models.PositiveSmallIntegerField(
        _("review every (days)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_("A map is due for review this many days after its last review (7 = weekly)."),
    )
    digest_enabled = models.BooleanField(_("send the weekly digest"), default=True)
    digest_weekday = models.PositiveSmallIntegerField(
        _("digest day"), choices=Weekday.choices, default=Weekday.MONDAY, help_text=_("In the team's time zone.")
    )
    digest_hour = models.PositiveSmallIntegerField(
        _("digest hour"),
        default=8,
        validators=[MinValueValidator(0), MaxValueValidator(23)],
        help_text=_("Hour of the day, 0–23, in the team's time zone."),
    )
    # The team-local date of the last digest sent, so a re-run of the hourly dispatch sends nothing twice.
    digest_last_sent_on = models.DateField(_("digest last sent on"), null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    objects = ReviewSettingsQuerySet.as_manager()

    class Meta:
        verbose_name = _("review settings")
        verbose_name_plural = _("review settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(review_cadence_days__gte=1, review_cadence_days__lte=120), name="reviewsettings_cadence"
            ),
            models.CheckConstraint(
                condition=Q(digest_weekday__gte=1, digest_weekday__lte=7), name="reviewsettings_day"
            ),
            models.CheckConstraint(condition=Q(digest_hour__gte=0, digest_hour__lte=23), name="reviewsettings_hour"),
        ]

    def __str__(self) -> str:
        return _("Review settings of %(team)s") % {"team": self.team}


class Review(TeamScopedModel):
    """A meeting where the team went through a map's agenda and decided what to do."""

    class Kind(models.TextChoices):
        WEEKLY = "weekly", _("Weekly review")
        QUARTERLY = "quarterly", _("Quarterly review")
        PRICING = "pricing_change", _("Pricing or packaging change")

    journey_map = models.ForeignKey(
        "journeys.JourneyMap", on_delete=models.CASCADE, related_name="reviews", verbose_name=_("journey map")
    )
    date = models.DateField(_("date"), default=timezone.localdate)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.WEEKLY)
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("facilitator"),
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="reviews_attended", verbose_name=_("attendees")
    )
    notes = models.TextField(_("notes"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)
    map_version = models.ForeignKey(
        "journeys.MapVersion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviews",
        verbose_name=_("map version"),
        help_text=_("The published version the team reviewed; the next agenda compares against it."),
    )
    # What the agenda covered: changes from this moment on belong to the next review.
    covers_until = models.DateTimeField(_("covers until"), default=timezone.now)
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

    team_lookup = "journey_map__team"
    history = HistoricalRecords(get_user=history_user, m2m_fields=[attendees])

    class Meta:
        ordering = ["-date", "-created_at"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        indexes = [models.Index(fields=["journey_map", "-date"], name="review_map_date_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["weekly", "quarterly", "pricing_change"]), name="review_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return _("%(kind)s of %(map)s on %(date)s") % {
            "kind": self.get_kind_display(),
            "map": self.journey_map,
            "date": f"{self.date:%Y-%m-%d}",
        }

    def get_absolute_url(self) -> str:
        return reverse("reviews:detail", args=[self.pk])


class ActionItemQuerySet(TeamScopedQuerySet):
    def open(self) -> "ActionItemQuerySet":
        return self.filter(done=False)

    def overdue(self, today=None) -> "ActionItemQuerySet":
        return self.filter(done=False, due_date__lt=today or timezone.localdate())


class ActionItem(TeamScopedModel):
    """Something a review decided to do, with an owner and a due date; open ones carry over."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="action_items", verbose_name=_("review"))
    title = models.CharField(_("title"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="review_action_items",
        verbose_name=_("owner"),
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    done = models.BooleanField(_("done"), default=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    touchpoint = models.ForeignKey(
        "journeys.Touchpoint",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="action_items",
        verbose_name=_("touchpoint"),
    )
    pain_point = models.ForeignKey(
        "journeys.PainPoint",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="action_items",
        verbose_name=_("pain point"),
    )
    experiment = models.ForeignKey(
        "experiments.Experiment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="action_items",
        verbose_name=_("experiment"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    team_lookup = "review__journey_map__team"
    objects = ActionItemQuerySet.as_manager()
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        ordering = ["done", "due_date", "position", "id"]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        indexes = [
            models.Index(fields=["owner", "done", "due_date"], name="actionitem_owner_open_idx"),
            models.Index(fields=["due_date"], condition=Q(done=False), name="actionitem_open_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(done=True, done_at__isnull=False) | Q(done=False, done_at__isnull=True),
                name="actionitem_done_at_matches_done",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, today=None) -> bool:
        return not self.done and self.due_date is not None and self.due_date < (today or timezone.localdate())


class DigestPreference(models.Model):
    """A person's choice about the weekly review digest (one-click unsubscribe sets it)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_preference", verbose_name=_("user")
    )
    unsubscribed = models.BooleanField(_("unsubscribed"), default=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("digest preference")
        verbose_name_plural = _("digest preferences")

    def __str__(self) -> str:
        if self.unsubscribed:
            return _("%(user)s: unsubscribed") % {"user": self.user}
        return _("%(user)s: subscribed") % {"user": self.user}
