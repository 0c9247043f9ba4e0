from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from teams.access import history_user
from teams.models import TeamOwnedModel, TeamScopedModel, TeamScopedQuerySet

HEX_COLOR = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Give the colour as #rrggbb, e.g. #6366f1."))
MULTILINE_HELP = _("One per line.")
# Avatar colours on which white initials pass WCAG AA; new personas take the next one in turn.
AVATAR_PALETTE = ["#4f46e5", "#0f766e", "#be123c", "#1d4ed8", "#b45309", "#7e22ce", "#15803d", "#c2410c", "#334155"]
PHOTO_MAX_BYTES = 2 * 1024 * 1024
PHOTO_EXTENSIONS = ["jpg", "jpeg", "png", "webp"]


def validate_photo_size(photo) -> None:
    """Refuse photos over 2 MB: they are shown as small avatars."""
    if photo and getattr(photo, "size", 0) > PHOTO_MAX_BYTES:
        raise ValidationError(_("The photo is larger than 2 MB; choose a smaller image."), code="photo_too_large")


class PersonaQuerySet(TeamScopedQuerySet):
    def active(self) -> "PersonaQuerySet":
        return self.filter(archived=False)


class Persona(TeamOwnedModel):
    """A customer archetype, drawn from real jobs to be done."""

    class Market(models.TextChoices):
        B2C = "b2c", _("B2C")
        B2B = "b2b", _("B2B")

    name = models.CharField(
        _("name"), max_length=120, help_text=_("Unique in the team, e.g. “Careful online shopper”.")
    )
    summary = models.CharField(
        _("summary"), max_length=300, blank=True, help_text=_("One or two sentences about who this is.")
    )
    role = models.CharField(_("role or segment"), max_length=120, blank=True)
    avatar_color = models.CharField(
        _("avatar color"),
        max_length=7,
        default="#6366f1",
        validators=[HEX_COLOR],
        help_text=_("Colour of the initials avatar shown when there is no photo, as #rrggbb."),
    )
    photo = models.ImageField(
        _("photo"),
        upload_to="personas/",
        blank=True,
        validators=[FileExtensionValidator(PHOTO_EXTENSIONS), validate_photo_size],
        help_text=_("JPEG, PNG or WebP, at most 2 MB."),
    )
    market = models.CharField(
        _("B2B or B2C"),
        max_length=3,
        choices=Market.choices,
        default=Market.B2C,
        help_text=_("Business or consumer buyer."),
    )
    goals = models.TextField(_("goals"), blank=True, help_text=MULTILINE_HELP)
    obstacles = models.TextField(_("obstacles"), blank=True, help_text=MULTILINE_HELP)
    success_markers = models.TextField(_("success markers"), blank=True, help_text=MULTILINE_HELP)
    typical_deviations = models.TextField(_("typical deviations"), blank=True, help_text=MULTILINE_HELP)
    jobs_to_be_done = models.TextField(_("jobs to be done"), blank=True, help_text=MULTILINE_HELP)
    quotes = models.TextField(_("quotes"), blank=True, help_text=_("Things this person says, one per line."))
    archived = models.BooleanField(
        _("archived"), default=False, help_text=_("Archived personas are hidden from lists and pickers.")
    )
    # Conditions on a customer's traits ({"trait", "op", "value"}, see personas/rules.py); all must
    # hold. Profiles that meet them are assigned this persona (by customers, which reads them).
    trait_rules = models.JSONField(
        _("trait rules"),
        default=list,
        blank=True,
        help_text=_("Customers whose traits meet every condition are assigned this persona."),
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        default=100,
        help_text=_("When a customer meets the rules of several personas, the lowest number wins."),
    )
    # Raised by every change; a change based on an older revision is refused (nothing is lost).
    revision = models.PositiveIntegerField(_("revision"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = PersonaQuerySet.as_manager()
    history = HistoricalRecords(get_user=history_user, excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("persona")
        verbose_name_plural = _("personas")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("team", Lower("name"), name="persona_unique_name_per_team_ci"),
            models.CheckConstraint(condition=Q(market__in=["b2c", "b2b"]), name="persona_market_valid"),
            models.CheckConstraint(condition=Q(avatar_color__regex=r"^#[0-9a-fA-F]{6}$"), name="persona_avatar_hex"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("personas:detail", args=[self.pk])

    @property
    def initials(self) -> str:
        """Return up to two initials of the name, for the avatar."""
        words = [w for w in self.name.replace("-", " ").split() if w[:1].isalnum()]
        return "".join(w[0] for w in words[:2]).upper() or "?"

    @property
    def avatar_text_color(self) -> str:
        """Return black or white, whichever reads better on the avatar colour (WCAG luminance)."""
        try:
            r, g, b = (int(self.avatar_color[i : i + 2], 16) / 255 for i in (1, 3, 5))
        except ValueError:
            return "#ffffff"

        def channel(c: float) -> float:
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
        # Contrast with white is (1.05)/(L+0.05); with black (L+0.05)/0.05; they cross near L=0.179.
        return "#111827" if luminance > 0.179 else "#ffffff"


class Scenario(TeamScopedModel):
    """A persona's situation, such as switching from a competitor or buying for a team."""

    class Kind(models.TextChoices):
        FIRST_TIME = "first_time", _("First-time user")
        SWITCHING = "switching", _("Switching from a competitor")
        BUYING_FOR_TEAM = "buying_for_team", _("Buying for a team")
        RETURNING = "returning", _("Returning customer")
        RENEWAL = "renewal", _("Renewal or upgrade")
        OTHER = "other", _("Other")

    persona = models.ForeignKey(Persona, on_delete=models.CASCADE, related_name="scenarios", verbose_name=_("persona"))
    name = models.CharField(
        _("name"), max_length=120, help_text=_("Unique for the persona, e.g. “First order on mobile”.")
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER, help_text=_("The kind of situation.")
    )
    trigger = models.TextField(_("trigger"), blank=True, help_text=_("What starts this journey."))
    goal = models.TextField(_("goal"), blank=True, help_text=_("What the persona wants to get done."))
    expected_outcome = models.TextField(
        _("expected outcome"), blank=True, help_text=_("What happens when it goes well.")
    )
    success_markers = models.TextField(_("success markers"), blank=True, help_text=MULTILINE_HELP)
    revision = models.PositiveIntegerField(_("revision"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    team_lookup = "persona__team"
    history = HistoricalRecords(get_user=history_user, excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarios")
        ordering = ["persona__name", "name"]
        constraints = [
            models.UniqueConstraint("persona", Lower("name"), name="scenario_unique_name_per_persona_ci"),
            models.CheckConstraint(
                condition=Q(kind__in=["first_time", "switching", "buying_for_team", "returning", "renewal", "other"]),
                name="scenario_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.persona.name}: {self.name}"

    def get_absolute_url(self) -> str:
        return f"{self.persona.get_absolute_url()}#scenario-{self.pk}"
