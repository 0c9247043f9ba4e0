from django.db import models
from django.db.models import Q
from django.utils import timezone

from teams.models import TeamOwnedModel, TeamScopedModel, TeamScopedQuerySet


class Persona(TeamOwnedModel):
    """A customer archetype, drawn from real jobs to be done."""

    class Market(models.TextChoices):
        B2C = "b2c", "B2C"
        B2B = "b2b", "B2B"

    name = models.CharField(max_length=120)
    summary = models.CharField(max_length=300, blank=True)
    role = models.CharField("role or segment", max_length=120, blank=True)
    avatar_color = models.CharField(max_length=7, default="#6366f1")
    photo = models.ImageField(upload_to="personas/", blank=True)
    market = models.CharField(max_length=3, choices=Market.choices, default=Market.B2C)
    goals = models.TextField(blank=True)
    obstacles = models.TextField(blank=True)
    success_markers = models.TextField(blank=True)
    typical_deviations = models.TextField(blank=True)
    jobs_to_be_done = models.TextField(blank=True)
    quotes = models.TextField(blank=True)
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="persona_unique_name_per_team"),
            models.CheckConstraint(condition=Q(market__in=["b2c", "b2b"]), name="persona_market_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class ScenarioQuerySet(TeamScopedQuerySet):
    team_lookup = "persona__team"


class Scenario(TeamScopedModel):
    """A persona's situation, such as switching from a competitor or buying for a team."""

    persona = models.ForeignKey(Persona, on_delete=models.CASCADE, related_name="scenarios")
    name = models.CharField(max_length=120)
    trigger = models.TextField(blank=True)
    goal = models.TextField(blank=True)
    expected_outcome = models.TextField(blank=True)
    success_markers = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ScenarioQuerySet.as_manager()

    class Meta:
        ordering = ["persona__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["persona", "name"], name="scenario_unique_name_per_persona"),
        ]

    def __str__(self) -> str:
        return f"{self.persona.name}: {self.name}"
