from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from teams.models import TeamOwnedModel


class MapTemplate(TeamOwnedModel):
    """A team's own starting point for new maps: a map document saved from one of its maps."""

    name = models.CharField(max_length=200, verbose_name=_("name"))
    description = models.TextField(blank=True, verbose_name=_("description"))
    document = models.JSONField(
        help_text=_("The map in the export format (see docs/journeys.md)."), verbose_name=_("document")
    )
    source_map = models.ForeignKey(
        "journeys.JourneyMap",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("saved from"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("map template")
        verbose_name_plural = _("map templates")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def stage_count(self) -> int:
        return len(self.document.get("stages", []))

    @property
    def touchpoint_count(self) -> int:
        return sum(len(stage.get("touchpoints", [])) for stage in self.document.get("stages", []))
