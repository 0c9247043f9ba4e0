from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from teams.access import history_user
from teams.models import TeamOwnedModel, TeamScopedModel, TeamScopedQuerySet

HEX_COLOR = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Give the colour as #rrggbb, e.g. #6366f1.")
MULTILINE_HELP = "One per line."
# Avatar colours on which white initials pass WCAG AA; new personas take the next one in turn.
AVATAR_PALETTE = ["#4f46e5", "#0f766e", "#be123c", "#1d4ed8", "#b45309", "#7e22ce", "#15803d", "#c2410c", "#334155"]
PHOTO_MAX_BYTES = 2 * 1024 * 1024
PHOTO_EXTENSIONS = ["jpg", "jpeg", "png", "webp"]


def validate_photo_size(photo) -> None:
    """Refuse photos over 2 MB: they are shown as small avatars."""
    if photo and getattr(photo, "size", 0) > PHOTO_MAX_BYTES:
        raise ValidationError("The photo is larger than 2 MB; choose a smaller image.", code="photo_too_large")


class PersonaQuerySet(TeamScopedQuerySet):
    def active(self) -> "PersonaQuerySet":
        return self.filter(archived=False)


class Persona(TeamOwnedModel):
    """A customer archetype, drawn from real jobs to be done."""

    class Market(models.TextChoices):
        B2C = "b2c", "B2C"
        B2B = "b2b", "B2B"

    name = models.CharField(max_length=120, help_text="Unique in the team, e.g. “Careful online shopper”.")
    summary = models.CharField(max_length=300, blank=True, help_text="One or two sentences about who this is.")
    role = models.CharField("role or segment", max_length=120, blank=True)
    avatar_color = models.CharField(
        max_length=7,
        default="#6366f1",
        validators=[HEX_COLOR],
        help_text="Colour of the initials avatar shown when there is no photo, as #rrggbb.",
    )
    photo = models.ImageField(
        upload_to="personas/",
        blank=True,
        validators=[FileExtensionValidator(PHOTO_EXTENSIONS), validate_photo_size],
        help_text="JPEG, PNG or WebP, at most 2 MB.",
    )
    market = models.CharField(
        "B2B or B2C", max_length=3, choices=Market.choices, default=Market.B2C, help_text="Business or consumer buyer."
    )
    goals = models.TextField(blank=True, help_text=MULTILINE_HELP)
    obstacles = models.TextField(blank=True, help_text=MULTILINE_HELP)
    success_markers = models.TextField(blank=True, help_text=MULTILINE_HELP)
    typical_deviations = models.TextField(blank=True, help_text=MULTILINE_HELP)
    jobs_to_be_done = models.TextField(blank=True, help_text=MULTILINE_HELP)
    quotes = models.TextField(blank=True, help_text="Things this person says, one per line.")
    archived = models.BooleanField(default=False, help_text="Archived personas are hidden from lists and pickers.")
    # Raised by every change; a change based on an older revision is refused (nothing is lost).
    revision = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonaQuerySet.as_manager()
    history = HistoricalRecords(get_user=history_user, excluded_fields=["updated_at"])

    class Meta:
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


class ScenarioQuerySet(TeamScopedQuerySet):
    team_lookup = "persona__team"


class Scenario(TeamScopedModel):
    """A persona's situation, such as switching from a competitor or buying for a team."""

    class Kind(models.TextChoices):
        FIRST_TIME = "first_time", "First-time user"
        SWITCHING = "switching", "Switching from a competitor"
        BUYING_FOR_TEAM = "buying_for_team", "Buying for a team"
        RETURNING = "returning", "Returning customer"
        RENEWAL = "renewal", "Renewal or upgrade"
        OTHER = "other", "Other"

    persona = models.ForeignKey(Persona, on_delete=models.CASCADE, related_name="scenarios")
    name = models.CharField(max_length=120, help_text="Unique for the persona, e.g. “First order on mobile”.")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER, help_text="The kind of situation.")
    trigger = models.TextField(blank=True, help_text="What starts this journey.")
    goal = models.TextField(blank=True, help_text="What the persona wants to get done.")
    expected_outcome = models.TextField(blank=True, help_text="What happens when it goes well.")
    success_markers = models.TextField(blank=True, help_text=MULTILINE_HELP)
    revision = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScenarioQuerySet.as_manager()
    history = HistoricalRecords(get_user=history_user, excluded_fields=["updated_at"])

    class Meta:
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
