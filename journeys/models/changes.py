from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from teams.models import TeamScopedModel


class MapChange(TeamScopedModel):
    """One edit of a map's board by one person, with what it replaced, so that person can undo it."""

    class Kind(models.TextChoices):
        STAGE_UPDATE = "stage_update", _("Stage changed")
        STAGE_CREATE = "stage_create", _("Stage added")
        STAGE_DELETE = "stage_delete", _("Stage deleted")
        STAGES_REORDER = "stages_reorder", _("Stages reordered")
        TOUCHPOINT_UPDATE = "touchpoint_update", _("Touchpoint changed")
        TOUCHPOINT_CREATE = "touchpoint_create", _("Touchpoint added")
        TOUCHPOINT_DELETE = "touchpoint_delete", _("Touchpoint deleted")
        TOUCHPOINT_MOVE = "touchpoint_move", _("Touchpoint moved")
        PAIN_POINT_UPDATE = "pain_point_update", _("Pain point changed")
        PAIN_POINT_CREATE = "pain_point_create", _("Pain point added")
        PAIN_POINT_DELETE = "pain_point_delete", _("Pain point deleted")

    journey_map = models.ForeignKey(
        "journeys.JourneyMap", on_delete=models.CASCADE, related_name="changes", verbose_name=_("journey map")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # The stage, touchpoint or pain point changed (stable across versions and undone deletes).
    key = models.UUIDField(_("key"), null=True, blank=True)
    label = models.CharField(_("label"), max_length=200, blank=True)
    # Only what the change touched: changed fields, an order of keys, a place, or a deleted element.
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    revision = models.PositiveIntegerField(_("revision"), help_text=_("The map's revision this change made."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)

    team_lookup = "journey_map__team"

    class Meta:
        verbose_name = _("map change")
        verbose_name_plural = _("map changes")
        ordering = ["-id"]
        indexes = [models.Index(fields=["journey_map", "created_by", "-id"], name="mapchange_undo_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.label}"
