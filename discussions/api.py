"""REST API of discussions: threads (`/api/v1/threads/`), comments (`/api/v1/comments/`), one's own
notifications (`/api/v1/notifications/`) and who has a map open (`/api/v1/presence/`)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from journeys.models import JourneyMap, MapVersion, PainPoint, Stage, Touchpoint
from teams.api_base import ScopedPrimaryKeyRelatedField, TeamScopedModelViewSet, TeamScopedReadOnlyViewSet
from teams.fields import PersonSerializer
from teams.filters import FilterSet
from teams.models import Role

from . import services
from .models import BODY_LIMIT, Comment, Notification, Presence, Thread

NOT_FOUND = OpenApiResponse(description="Not in your teams.")
FORBIDDEN = OpenApiResponse(description="Your role does not allow this (or an API key, which is not a person).")


def _refuse_api_keys(request) -> None:
    """Notifications and presence belong to people: an API key may read (nothing) but never write."""
    if request.method not in permissions.SAFE_METHODS and getattr(request.user, "api_key", None) is not None:
        raise PermissionDenied(gettext("Notifications and presence belong to a person; an API key has none."))


# --- comments -------------------------------------------------------------------------------


class CommentSerializer(serializers.ModelSerializer):
    thread = ScopedPrimaryKeyRelatedField(queryset=Thread.objects.all(), help_text="The thread (set on create).")
    author = PersonSerializer(read_only=True, allow_null=True)
    body = serializers.CharField(max_length=BODY_LIMIT, help_text="Plain text; `@username` mentions a team member.")
    mentioned = PersonSerializer(many=True, read_only=True, help_text="The team members its @names notified.")

    class Meta:
        model = Comment
        fields = ["id", "thread", "author", "body", "mentioned", "created_at", "edited_at"]
        read_only_fields = ["created_at", "edited_at"]


class CommentEditSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=BODY_LIMIT)


class CommentFilter(FilterSet):
    thread = filters.NumberFilter(field_name="thread_id", help_text="Only comments of this thread (id).")
    map = filters.NumberFilter(field_name="thread__journey_map_id", help_text="Only comments on this map (id).")
    author = filters.NumberFilter(field_name="author_id", help_text="Only comments by this person (user id).")

    class Meta:
        model = Comment
        fields = ["thread", "map", "author"]


COMMENT_EXAMPLE = OpenApiExample(
    "Reply with a mention", request_only=True, value={"thread": 1, "body": "@erin can we show the delivery date here?"}
)


@extend_schema_view(
    list=extend_schema(
        summary="List comments",
        description="Comments of your teams' threads, oldest first. Filter by `thread`, `map`, `author`.",
    ),
    retrieve=extend_schema(summary="Get a comment", responses={200: CommentSerializer, 404: NOT_FOUND}),
    create=extend_schema(
        summary="Reply in a thread",
        description="Editors reply; `@username` of a member of the map's team notifies them (in the app and by "
        "email). A reply to a resolved thread reopens it.",
        examples=[COMMENT_EXAMPLE],
        responses={201: CommentSerializer, 400: OpenApiResponse(description="No body, or too long."), 403: FORBIDDEN},
    ),
    partial_update=extend_schema(
        summary="Edit your comment",
        description="Only its author edits a comment; people it newly mentions are notified.",
        request=CommentEditSerializer,
        responses={200: CommentSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
        examples=[OpenApiExample("Corrected", value={"body": "@ilze the returns page still says 14 days."})],
    ),
    destroy=extend_schema(
        summary="Delete your comment",
        description="Its author (or a team admin) deletes it; a thread left without comments is deleted too.",
        responses={204: None, 403: FORBIDDEN, 404: NOT_FOUND},
    ),
)
class CommentViewSet(TeamScopedModelViewSet):
    """Comments: the messages of a thread."""

    queryset = Comment.objects.all()
    serializer_class = CommentSerializer
    filterset_class = CommentFilter
    ordering_fields = ["created_at"]
    ordering = ["created_at", "id"]
    search_fields = ["body"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scope_queryset(self, queryset):
        return queryset.select_related("author", "thread__journey_map").prefetch_related("mentioned")

    def get_serializer_class(self):
        return CommentEditSerializer if self.action == "partial_update" else CommentSerializer

    def team_id_from_data(self, validated_data: dict) -> int | None:
        thread = validated_data.get("thread")
        return thread.journey_map.team_id if thread is not None else None

    def create_object(self, serializer):
        data = serializer.validated_data
        comment = services.comment_add(actor=self.request.user, thread=data["thread"], body=data["body"])
        serializer.instance = self.get_queryset().get(pk=comment.pk)

    def perform_update(self, serializer):
        comment = serializer.instance
        services.comment_edit(actor=self.request.user, comment=comment, body=serializer.validated_data["body"])

    def partial_update(self, request, *args, **kwargs):
        super().partial_update(request, *args, **kwargs)
        comment = self.get_queryset().get(pk=self.get_object().pk)
        return Response(CommentSerializer(comment, context=self.get_serializer_context()).data)

    def perform_destroy(self, instance):
        services.comment_delete(actor=self.request.user, comment=instance)


# --- threads --------------------------------------------------------------------------------


class ThreadSerializer(serializers.ModelSerializer):
    map = serializers.IntegerField(source="journey_map_id", read_only=True)
    subject = serializers.CharField(read_only=True, help_text="The name of what is discussed.")
    created_by = PersonSerializer(read_only=True, allow_null=True)
    resolved_by = PersonSerializer(read_only=True, allow_null=True)
    comments = CommentSerializer(many=True, read_only=True)

    class Meta:
        model = Thread
        fields = [
            "id",
            "map",
            "target",
            "stage",
            "touchpoint",
            "pain_point",
            "version",
            "subject",
            "status",
            "created_by",
            "created_at",
            "last_comment_at",
            "resolved_by",
            "resolved_at",
            "comments",
        ]
        read_only_fields = fields


PART_MODELS = {
    Thread.Target.STAGE: (Stage, "journey_map"),
    Thread.Target.TOUCHPOINT: (Touchpoint, "stage__journey_map"),
    Thread.Target.PAIN_POINT: (PainPoint, "touchpoint__stage__journey_map"),
    Thread.Target.VERSION: (MapVersion, "journey_map"),
}


class ThreadStartSerializer(serializers.Serializer):
    map = ScopedPrimaryKeyRelatedField(queryset=JourneyMap.objects.all(), help_text="The map discussed.")
    target = serializers.ChoiceField(
        choices=Thread.Target.choices, default=Thread.Target.MAP, help_text="What on the map is discussed."
    )
    target_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,
        help_text="The id of the stage, touchpoint, pain point or version (none for the map itself).",
    )
    body = serializers.CharField(max_length=BODY_LIMIT, help_text="The first comment; `@username` mentions.")

    def validate(self, data):
        target = data.get("target", Thread.Target.MAP)
        if target == Thread.Target.MAP:
            data["part"] = data["map"]
            return data
        if data.get("target_id") is None:
            raise serializers.ValidationError({"target_id": [gettext("Say which part of the map: its id.")]})
        model, path = PART_MODELS[target]
        part = model.objects.filter(pk=data["target_id"], **{path: data["map"]}).first()
        if part is None:
            raise serializers.ValidationError({"target_id": [gettext("This map has no such part.")]})
        data["part"] = part
        return data


class ThreadFilter(FilterSet):
    map = filters.NumberFilter(field_name="journey_map_id", help_text="Only threads of this map (id).")
    status = filters.ChoiceFilter(choices=Thread.Status.choices, help_text="Open or resolved.")
    target = filters.ChoiceFilter(choices=Thread.Target.choices, help_text="What they are about.")
    stage = filters.NumberFilter(field_name="stage_id", help_text="About this stage (id).")
    touchpoint = filters.NumberFilter(field_name="touchpoint_id", help_text="About this touchpoint (id).")
    pain_point = filters.NumberFilter(field_name="pain_point_id", help_text="About this pain point (id).")
    version = filters.NumberFilter(field_name="version_id", help_text="About this version (id).")

    class Meta:
        model = Thread
        fields = ["map", "status", "target", "stage", "touchpoint", "pain_point", "version"]


@extend_schema_view(
    list=extend_schema(
        summary="List discussion threads",
        description="Threads of your teams' maps with their comments, latest activity first. Filter by `map`, "
        "`status`, `target`, `stage`, `touchpoint`, `pain_point`, `version`.",
    ),
    retrieve=extend_schema(summary="Get a thread with its comments", responses={200: ThreadSerializer, 404: NOT_FOUND}),
)
class ThreadViewSet(TeamScopedReadOnlyViewSet):
    """Threads: discussions about a map, a stage, a touchpoint, a pain point or a version."""

    queryset = Thread.objects.all()
    serializer_class = ThreadSerializer
    filterset_class = ThreadFilter
    ordering_fields = ["last_comment_at", "created_at"]
    ordering = ["-last_comment_at", "-id"]
    search_fields = ["comments__body"]
    http_method_names = ["get", "post", "head", "options"]

    def scope_queryset(self, queryset):
        return queryset.select_related(
            "journey_map", "stage", "touchpoint", "pain_point", "version", "created_by", "resolved_by"
        ).prefetch_related("comments__author", "comments__mentioned")

    @extend_schema(
        summary="Start a thread",
        description="Editors start a thread about the map (`target: map`) or one of its parts (`target_id`), with "
        "its first comment. `@username` of a member of the map's team notifies them.",
        request=ThreadStartSerializer,
        responses={
            201: ThreadSerializer,
            400: OpenApiResponse(description="No body, or a part of another map."),
            403: FORBIDDEN,
        },
        examples=[
            OpenApiExample(
                "About a pain point",
                request_only=True,
                value={"map": 1, "target": "pain_point", "target_id": 7, "body": "@erin is this still the worst?"},
            )
        ],
    )
    def create(self, request, *args, **kwargs):
        body = ThreadStartSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        thread = services.thread_start(
            actor=request.user, part=body.validated_data["part"], body=body.validated_data["body"]
        )
        thread = self.get_queryset().get(pk=thread.pk)
        return Response(self.get_serializer(thread).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Resolve a thread",
        description="Marks it resolved with who and when; resolving a resolved thread changes nothing.",
        request=None,
        responses={200: ThreadSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"], filterset_class=None, search_fields=[], ordering_fields=[])
    def resolve(self, request, pk=None):
        thread = services.thread_resolve(actor=request.user, thread=self.get_object())
        return Response(self.get_serializer(self.get_queryset().get(pk=thread.pk)).data)

    @extend_schema(
        summary="Reopen a thread",
        request=None,
        responses={200: ThreadSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"], filterset_class=None, search_fields=[], ordering_fields=[])
    def reopen(self, request, pk=None):
        thread = services.thread_reopen(actor=request.user, thread=self.get_object())
        return Response(self.get_serializer(self.get_queryset().get(pk=thread.pk)).data)


# --- notifications --------------------------------------------------------------------------


class NotificationSerializer(serializers.ModelSerializer):
    thread = serializers.IntegerField(source="comment.thread_id", read_only=True)
    map = serializers.IntegerField(source="comment.thread.journey_map_id", read_only=True)
    map_title = serializers.CharField(source="comment.thread.journey_map.title", read_only=True)
    subject = serializers.CharField(source="comment.thread.subject", read_only=True)
    author = PersonSerializer(source="comment.author", read_only=True, allow_null=True)
    body = serializers.CharField(source="comment.body", read_only=True)
    unread = serializers.BooleanField(source="is_unread", read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "team",
            "kind",
            "comment",
            "thread",
            "map",
            "map_title",
            "subject",
            "author",
            "body",
            "created_at",
            "read_at",
            "unread",
            "email",
            "emailed_at",
        ]
        read_only_fields = fields


class NotificationFilter(FilterSet):
    team = filters.NumberFilter(field_name="team_id", help_text="Only this team's (id).")
    unread = filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", help_text="Only unread (true) or read.")

    class Meta:
        model = Notification
        fields = ["team", "unread"]


class ReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many were unread.")


@extend_schema_view(
    list=extend_schema(
        summary="List your notifications",
        description="The mentions of you in your teams' comments, newest first. Filter by `team`, `unread`. An API "
        "key is not a person: its list is empty.",
    ),
    retrieve=extend_schema(summary="Get a notification", responses={200: NotificationSerializer, 404: NOT_FOUND}),
)
class NotificationViewSet(TeamScopedReadOnlyViewSet):
    """Your own notifications: nobody else's, whatever their role."""

    queryset = Notification.objects.all()
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]
    http_method_names = ["get", "post", "head", "options"]
    # Reading one's own notifications is not a write to the team's data: viewers do it too.
    write_role = Role.VIEWER

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        _refuse_api_keys(request)

    def scope_queryset(self, queryset):
        return queryset.filter(recipient_id=getattr(self.request.user, "pk", None)).select_related(
            "comment__author",
            "comment__thread__journey_map",
            "comment__thread__stage",
            "comment__thread__touchpoint",
            "comment__thread__pain_point",
            "comment__thread__version",
        )

    @extend_schema(
        summary="Mark a notification read",
        request=None,
        responses={200: NotificationSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"], filterset_class=None, ordering_fields=[])
    def read(self, request, pk=None):
        notification = services.notification_mark_read(actor=request.user, notification=self.get_object())
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        summary="Mark all your notifications read",
        description="In one team with `?team=<id>`, else in all of them.",
        request=None,
        parameters=[OpenApiParameter("team", OpenApiTypes.INT, description="Only this team's (id).")],
        responses={200: ReadAllSerializer, 400: OpenApiResponse(description="`team` is not an id."), 403: FORBIDDEN},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="read-all",
        url_name="read-all",
        filterset_class=None,
        ordering_fields=[],
    )
    def read_all(self, request):
        team_id = request.query_params.get("team") or None
        if team_id is not None and not (team_id.isascii() and team_id.isdigit() and len(team_id) <= 18):
            raise ValidationError({"team": [gettext("Give a team's id.")]})
        marked = services.notifications_mark_all_read(
            actor=request.user, team_id=int(team_id) if team_id is not None else None
        )
        return Response({"marked": marked})


# --- presence -------------------------------------------------------------------------------


class PresenceSerializer(serializers.ModelSerializer):
    map = serializers.IntegerField(source="journey_map_id", read_only=True)
    user = PersonSerializer(read_only=True)

    class Meta:
        model = Presence
        fields = ["id", "map", "user", "editing", "editing_id", "editing_name", "seen_at"]
        read_only_fields = fields


class PresenceTouchSerializer(serializers.Serializer):
    map = ScopedPrimaryKeyRelatedField(queryset=JourneyMap.objects.all(), help_text="The map you have open.")
    editing = serializers.ChoiceField(
        choices=Presence.Part.choices, required=False, default="", help_text="What you are editing, if anything."
    )
    editing_id = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**63 - 1, help_text="Its id (stage, touchpoint...)."
    )


class PresenceFilter(FilterSet):
    map = filters.NumberFilter(field_name="journey_map_id", help_text="Only who has this map open (id).")

    class Meta:
        model = Presence
        fields = ["map"]


@extend_schema_view(
    list=extend_schema(
        summary="Who has a map open",
        description="People seen on your teams' maps in the last 30 seconds and what they are editing. Filter by "
        "`map`.",
    ),
    retrieve=extend_schema(summary="Get one presence", responses={200: PresenceSerializer, 404: NOT_FOUND}),
)
class PresenceViewSet(TeamScopedReadOnlyViewSet):
    """Presence: who has a map open now (stored rows that expire after 30 seconds)."""

    queryset = Presence.objects.all()
    serializer_class = PresenceSerializer
    filterset_class = PresenceFilter
    ordering_fields = ["seen_at"]
    ordering = ["journey_map_id", "user__username"]
    http_method_names = ["get", "post", "head", "options"]
    # Having a map open is reading it: viewers are present too.
    write_role = Role.VIEWER

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        _refuse_api_keys(request)

    def scope_queryset(self, queryset):
        return queryset.filter(seen_at__gte=timezone.now() - services.PRESENCE_TTL).select_related("user")

    @extend_schema(
        summary="Say you have a map open",
        description="Call every 10 seconds while the map is open (the page does); after 30 seconds without a call "
        "you are gone. `editing` and `editing_id` say what you edit, so others see it before a conflict. A person's "
        "call, never an API key's (403).",
        request=PresenceTouchSerializer,
        responses={
            200: PresenceSerializer,
            400: OpenApiResponse(description="A part of another map."),
            403: FORBIDDEN,
        },
        examples=[
            OpenApiExample(
                "Editing a touchpoint", request_only=True, value={"map": 1, "editing": "touchpoint", "editing_id": 12}
            )
        ],
    )
    def create(self, request, *args, **kwargs):
        body = PresenceTouchSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        presence = services.presence_touch(
            actor=request.user, journey_map=data["map"], editing=data["editing"], editing_id=data.get("editing_id")
        )
        return Response(self.get_serializer(presence).data)


routes = [
    ("threads", ThreadViewSet, "thread"),
    ("comments", CommentViewSet, "comment"),
    ("notifications", NotificationViewSet, "notification"),
    ("presence", PresenceViewSet, "presence"),
]
