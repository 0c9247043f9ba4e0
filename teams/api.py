"""REST API of teams, memberships and API keys."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from . import services
from .access import admin_team_ids, require_role
from .api_base import TeamField, TeamScopedModelViewSet
from .filters import FilterSet
from .models import ApiKey, Membership, Role, Team
from .permissions import TeamRolePermission


class TeamSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField()

    class Meta:
        model = Team
        fields = ["id", "name", "slug", "accent_color", "created_at", "role"]
        read_only_fields = ["slug", "created_at"]

    def get_role(self, team) -> str | None:
        from .access import role_for

        role = role_for(self.context["request"].user, team.pk)
        return role.value if role else None


class PeoplePermission(TeamRolePermission):
    """Team, member and key management is for people signed in, never for API keys."""

    def has_permission(self, request, view) -> bool:
        if request.method not in permissions.SAFE_METHODS and getattr(request.user, "api_key", None):
            return False
        if view.action == "create" and isinstance(view, TeamViewSet):
            return bool(request.user and request.user.is_authenticated)
        return super().has_permission(request, view)


@extend_schema_view(
    list=extend_schema(
        summary="List the teams you belong to", description="With your role in each (`admin`, `editor`, `viewer`)."
    ),
    retrieve=extend_schema(summary="Get a team", description="Its name, slug, accent colour and your role in it."),
    create=extend_schema(
        summary="Create a team (you become its admin)",
        description="Signed in as a person only (an API key cannot create teams). The slug comes from the name.",
        examples=[OpenApiExample("Shop", value={"name": "Shop", "accent_color": "#4f46e5"}, request_only=True)],
    ),
    partial_update=extend_schema(
        summary="Rename a team or change its colour",
        description="Team admins only, signed in as a person.",
        examples=[OpenApiExample("Rename", value={"name": "Online shop"}, request_only=True)],
    ),
)
class TeamViewSet(TeamScopedModelViewSet):
    queryset = Team.objects.all()
    serializer_class = TeamSerializer
    permission_classes = [PeoplePermission]
    write_role = Role.ADMIN
    search_fields = ["name"]
    ordering_fields = ["name", "created_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_create(self, serializer):
        team = services.team_create(
            name=serializer.validated_data["name"],
            accent_color=serializer.validated_data.get("accent_color", "#4f46e5"),
            actor=self.request.user,
        )
        serializer.instance = team

    def perform_update(self, serializer):
        services.team_update(
            team=serializer.instance,
            actor=self.request.user,
            name=serializer.validated_data.get("name"),
            accent_color=serializer.validated_data.get("accent_color"),
        )


class MembershipSerializer(serializers.ModelSerializer):
    team = TeamField()
    user_id = serializers.IntegerField(
        read_only=True, help_text="The member's user id: what ownerships, SLAs and hand-offs take as a user."
    )
    username = serializers.CharField(source="user.username", read_only=True)
    email = serializers.CharField(source="user.email", read_only=True)
    user = serializers.CharField(write_only=True, help_text="Username or email of an existing user (on create only).")

    class Meta:
        model = Membership
        fields = ["id", "team", "user", "user_id", "username", "email", "role", "created_at"]
        read_only_fields = ["created_at"]


class MembershipUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Membership
        fields = ["role"]


class MembershipFilter(FilterSet):
    class Meta:
        model = Membership
        fields = ["team", "role"]


@extend_schema_view(
    list=extend_schema(
        summary="List the members of your teams",
        description="Username, email, role and `user_id` (what ownerships, SLAs and hand-offs take); "
        "filter by `team` and `role`, search by username or email. API keys may read it.",
    ),
    retrieve=extend_schema(summary="Get a membership"),
    destroy=extend_schema(
        summary="Remove a member from a team", description="Team admins only; the last admin cannot be removed."
    ),
    create=extend_schema(
        summary="Add an existing user to a team",
        description="Team admins only. `user` is the username or email of an existing account; `role` defaults "
        "to viewer. The answer's `user_id` is what ownerships, SLAs and hand-offs take.",
        examples=[
            OpenApiExample(
                "Add an editor", value={"team": 1, "user": "erin@example.com", "role": "editor"}, request_only=True
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Change a member's role",
        description="Team admins only; the last admin cannot be demoted.",
        examples=[OpenApiExample("Make admin", value={"role": "admin"}, request_only=True)],
    ),
)
class MembershipViewSet(TeamScopedModelViewSet):
    """Members of your teams. Team admins add existing users, change roles and remove members."""

    queryset = Membership.objects.select_related("user", "team")
    serializer_class = MembershipSerializer
    permission_classes = [PeoplePermission]
    filterset_class = MembershipFilter
    write_role = Role.ADMIN
    search_fields = ["user__username", "user__email"]
    ordering_fields = ["created_at", "role"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_serializer_class(self):
        return MembershipUpdateSerializer if self.action == "partial_update" else MembershipSerializer

    def create_object(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.membership_add(
            team=data["team"], actor=self.request.user, identifier=data["user"], role=data.get("role", Role.VIEWER)
        )

    def update_object(self, serializer):
        services.membership_change_role(
            membership=serializer.instance, actor=self.request.user, role=serializer.validated_data["role"]
        )

    def perform_destroy(self, instance):
        services.membership_remove(membership=instance, actor=self.request.user)

    def update(self, request, *args, **kwargs):
        super().update(request, *args, **kwargs)
        return Response(MembershipSerializer(self.get_object(), context=self.get_serializer_context()).data)


class ApiKeySerializer(serializers.ModelSerializer):
    team = TeamField()

    class Meta:
        model = ApiKey
        fields = ["id", "team", "name", "prefix", "scope", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
        # What a key may do is chosen on purpose, never defaulted.
        extra_kwargs = {"scope": {"required": True, "help_text": "read, or read_write (acts as an editor)."}}


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="The key itself. It is shown this once only.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]


@extend_schema_view(
    list=extend_schema(
        summary="List the API keys of the teams you administer",
        description="Name, prefix, scope, last use and revocation; never the key itself.",
    ),
    retrieve=extend_schema(summary="Get an API key", description="Its prefix, scope, last use and revocation."),
)
class ApiKeyViewSet(TeamScopedModelViewSet):
    """API keys of the teams you administer. The key is returned once, on creation."""

    queryset = ApiKey.objects.all()
    serializer_class = ApiKeySerializer
    permission_classes = [PeoplePermission]
    filterset_fields = ["team", "scope"]
    write_role = Role.ADMIN
    http_method_names = ["get", "post", "head", "options"]

    def scope_queryset(self, queryset):
        # Only admins manage keys, so only admins see them.
        return queryset.filter(team_id__in=admin_team_ids(self.request.user))

    @extend_schema(
        summary="Create an API key",
        description="Team admins only, signed in as a person. `scope` is required: `read` (acts as a viewer) or "
        "`read_write` (acts as an editor). The answer carries the key itself, this once.",
        responses={201: ApiKeyCreatedSerializer},
        examples=[
            OpenApiExample(
                "Warehouse sync", value={"team": 1, "name": "Warehouse sync", "scope": "read_write"}, request_only=True
            )
        ],
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        require_role(request.user, data["team"].pk, Role.ADMIN)
        key, raw = services.api_key_create(
            team=data["team"], actor=request.user, name=data["name"], scope=data["scope"]
        )
        key.key = raw
        return Response(ApiKeyCreatedSerializer(key, context=self.get_serializer_context()).data, status=201)

    @extend_schema(request=None, responses=ApiKeySerializer, summary="Revoke a key")
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        key = self.get_object()
        services.api_key_revoke(api_key=key, actor=request.user)
        return Response(ApiKeySerializer(key, context=self.get_serializer_context()).data, status=status.HTTP_200_OK)


routes = [
    ("teams", TeamViewSet, "team"),
    ("memberships", MembershipViewSet, "membership"),
    ("api-keys", ApiKeyViewSet, "api-key"),
]
