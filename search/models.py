"""The search index: one row per searchable thing of a team (search/indexing.py keeps it)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from teams.models import TeamOwnedModel


class SearchEntry(TeamOwnedModel):
    """A searchable thing of a team: its title and text as shown, and the terms both engines index."""

    class Kind(models.TextChoices):
        MAP = "map", _("Maps")
        STAGE = "stage", _("Stages")
        TOUCHPOINT = "touchpoint", _("Touchpoints")
        PAIN_POINT = "pain_point", _("Pain points")
        PLAYBOOK = "playbook", _("Playbooks")
        PERSONA = "persona", _("Personas")
        SCENARIO = "scenario", _("Scenarios")
        RESPONSE = "response", _("Answers’ comments")
        EXPERIMENT = "experiment", _("Experiments")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    object_id = models.BigIntegerField(_("object ID"))
    # The map a map's part or playbook belongs to: shown as its context, and its entries go with it.
    journey_map = models.ForeignKey(
        "journeys.JourneyMap",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("journey map"),
    )
    # An answer's entry goes with the answer (a respondent's erasure deletes it); no constraint in
    # the database, so the benchmarks' raw deletes of answers still work (selectors skip orphans).
    response = models.ForeignKey(
        "feedback.Response",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
        verbose_name=_("response"),
    )
    # A map's entries were built from this revision of it; a map that moved on is indexed again.
    source_revision = models.PositiveIntegerField(_("source revision"), default=0)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("URL"), max_length=500)
    # What the engines index (search/text.py): PostgreSQL's tsvector column and SQLite's FTS5
    # table are built from these two by the database itself (migration 0001).
    title_terms = models.TextField(_("title terms"), blank=True, editable=False)
    body_terms = models.TextField(_("text terms"), blank=True, editable=False)
    indexed_at = models.DateTimeField(_("indexed at"), default=timezone.now)

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="searchentry_unique_object")]
        indexes = [models.Index(fields=["team", "kind"], name="searchentry_team_kind_idx")]

    def __str__(self) -> str:
        return self.title


class SearchCursor(TeamOwnedModel):
    """How far a team's answers are indexed: the highest response id looked at."""

    last_response_id = models.BigIntegerField(_("last response ID"), default=0)

    class Meta:
        verbose_name = _("search cursor")
        verbose_name_plural = _("search cursors")
        constraints = [models.UniqueConstraint(fields=["team"], name="searchcursor_unique_team")]

    def __str__(self) -> str:
        return f"{self.team_id}: {self.last_response_id}"
