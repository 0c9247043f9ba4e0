"""The admin shows a staff member only the data of the teams they belong to (superusers: all).

Every ModelAdmin of the project mixes in ``TeamScopedAdmin``: its rows, change, delete and history
pages (django-simple-history's ``history/`` and ``history/<n>/`` included), the choices of its
foreign keys, its autocompletes and its list filters are limited to the admin's teams. An object
of another team is a 404 on its history pages and "does not exist" on the others. The history of
a deleted object is shown to superusers only: its team can no longer be checked.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path, unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from .models import Membership, TeamScopedModel


def admin_team_ids(request) -> QuerySet | None:
    """Return the ids of the teams whose data this admin user sees (None: all, for superusers)."""
    if request.user.is_superuser:
        return None
    return Membership.objects.filter(user=request.user).values("team_id")


def scope_to_teams(queryset: QuerySet, team_ids, team_lookup: str | None = None) -> QuerySet:
    """Limit ``queryset`` to rows of the teams ``team_ids`` (None: no limit)."""
    if team_ids is None:
        return queryset
    model = queryset.model
    if team_lookup is None and issubclass(model, get_user_model()):
        return queryset.filter(Exists(Membership.objects.filter(user=OuterRef("pk"), team__in=team_ids)))
    if team_lookup is None:
        if not issubclass(model, TeamScopedModel):
            return queryset
        team_lookup = model.objects.get_queryset().team_lookup
    return queryset.filter(**{f"{team_lookup}__in": team_ids})


class TeamScopedAdmin:
    """Mix into a ModelAdmin (before it) to scope every one of its views to the admin's teams.

    ``team_lookup`` is the path from the model to its team; by default the model's own
    (``TeamScopedModel``), or team membership for the user model.
    """

    team_lookup: str | None = None

    def get_queryset(self, request):
        return scope_to_teams(super().get_queryset(request), admin_team_ids(request), self.team_lookup)

    def _require_visible(self, request, object_id) -> None:
        try:
            visible = self.get_queryset(request).filter(pk=unquote(object_id)).exists()
        except (ValueError, TypeError):
            visible = False
        if not visible and admin_team_ids(request) is not None:
            raise Http404(_("No such object."))

    def history_view(self, request, object_id, extra_context=None):
        self._require_visible(request, object_id)
        return super().history_view(request, object_id, extra_context=extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._require_visible(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context=extra_context)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = scope_to_teams(field.queryset, admin_team_ids(request))
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = scope_to_teams(field.queryset, admin_team_ids(request))
        return field

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if admin_team_ids(request) is None:
            return filters
        # A plain related filter lists every row of the related table (other teams' names too);
        # RelatedOnlyFieldListFilter lists only the values of the rows this admin can see.
        scoped = []
        for entry in filters:
            if isinstance(entry, str) and _is_relation(self.model, entry):
                entry = (entry, admin.RelatedOnlyFieldListFilter)
            scoped.append(entry)
        return scoped


def _is_relation(model, path: str) -> bool:
    try:
        return get_fields_from_path(model, path)[-1].is_relation
    except (FieldDoesNotExist, admin.utils.NotRelationField):
        return False


class TeamScopedInline:
    """Mix into an inline so its foreign-key choices are limited to the admin's teams."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = scope_to_teams(field.queryset, admin_team_ids(request))
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = scope_to_teams(field.queryset, admin_team_ids(request))
        return field
