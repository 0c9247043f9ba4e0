"""The API's one way to name a person: ``MemberField`` to choose one, ``PersonSerializer`` to show one."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .access import role_for
from .models import visible_team_ids


@extend_schema_field(OpenApiTypes.INT)
class MemberField(serializers.PrimaryKeyRelatedField):
    """A person in one of the principal's teams (others: "does not exist", so no user id leaks)."""

    def get_queryset(self):
        request = self.context.get("request")
        users = get_user_model().objects.all()
        if request is None:
            return users.none()
        return users.filter(memberships__team_id__in=visible_team_ids(request.user)).distinct()


def require_member(person, team_id: int, field: str, message: str) -> None:
    """Refuse ``person`` who is not a member of the team with ``message`` on ``field`` (a 400)."""
    if person is not None and role_for(person, team_id) is None:
        raise serializers.ValidationError({field: [message]})


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.get_username()
