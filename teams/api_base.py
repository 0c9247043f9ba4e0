"""The base of every team-scoped API viewset and related field.

Subclasses cannot read outside the principal's teams by accident: ``get_queryset`` is final
(defining it in a subclass raises ``TypeError``); a subclass narrows or annotates the queryset in
``scope_queryset`` instead, and the scoping by ``for_user`` is applied after it. Creates and
updates check the principal's role in the team the row will belong to.
"""

from __future__ import annotations

from rest_framework import serializers, viewsets

from .access import require_role
from .models import Role, Team


class TeamScopedViewSetMixin:
    write_role: Role = Role.EDITOR
    # Ids are positive 64-bit integers; anything else in the id segment is a 404, not a database error.
    lookup_value_regex = r"[0-9]{1,18}"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(
                f"{cls.__name__} must not override get_queryset (it applies the team scoping); "
                "override scope_queryset instead."
            )

    def get_queryset(self):
        queryset = self.scope_queryset(self.queryset.all())
        return queryset.for_user(self.request.user)

    def scope_queryset(self, queryset):
        """Narrow, annotate or prefetch; the team scoping is applied afterwards."""
        return queryset

    def team_id_from_data(self, validated_data: dict) -> int | None:
        """Return the id of the team a new or changed row will belong to, from its input."""
        team = validated_data.get("team")
        return team.pk if team is not None else None

    def check_write_team(self, serializer) -> None:
        team_id = self.team_id_from_data(serializer.validated_data)
        if team_id is not None:
            require_role(self.request.user, team_id, self.write_role)

    def perform_create(self, serializer):
        self.check_write_team(serializer)
        self.create_object(serializer)

    def perform_update(self, serializer):
        self.check_write_team(serializer)
        self.update_object(serializer)

    def create_object(self, serializer):
        serializer.save()

    def update_object(self, serializer):
        serializer.save()


class TeamScopedModelViewSet(TeamScopedViewSetMixin, viewsets.ModelViewSet):
    pass


class TeamScopedReadOnlyViewSet(TeamScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related field that accepts only rows the principal can read (others: 'does not exist')."""

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        if request is None:
            return queryset.none()
        return queryset.for_user(request.user)


class TeamField(ScopedPrimaryKeyRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Team.objects.all())
        super().__init__(**kwargs)
