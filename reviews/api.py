"""REST API of reviews (`/api/v1/reviews/`), action items (`/api/v1/action-items/`) and the review
status of maps with each map's agenda (`/api/v1/review-status/`, `/api/v1/review-status/<id>/agenda/`)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from experiments.models import Experiment
from journeys.models import JourneyMap, MapVersion, PainPoint, Touchpoint
from teams.api_base import ScopedPrimaryKeyRelatedField, TeamScopedModelViewSet, TeamScopedReadOnlyViewSet
from teams.fields import MemberField, PersonSerializer
from teams.filters import FilterSet
from teams.models import visible_team_ids

from . import selectors, services
from .models import ActionItem, Review, ReviewSettings

# --- action items ---------------------------------------------------------------------------


class ActionItemSerializer(serializers.ModelSerializer):
    review = ScopedPrimaryKeyRelatedField(
        queryset=Review.objects.all(), help_text="The review that decided it (set on create; it cannot move)."
    )
    map = serializers.IntegerField(source="review.journey_map_id", read_only=True, help_text="The reviewed map.")
    owner = MemberField(required=False, allow_null=True, help_text="A member of the map's team.")
    owner_detail = PersonSerializer(source="owner", read_only=True, allow_null=True)
    touchpoint = ScopedPrimaryKeyRelatedField(
        queryset=Touchpoint.objects.all(), required=False, allow_null=True, help_text="A touchpoint of the map."
    )
    pain_point = ScopedPrimaryKeyRelatedField(
        queryset=PainPoint.objects.all(), required=False, allow_null=True, help_text="A pain point of the map."
    )
    experiment = ScopedPrimaryKeyRelatedField(
        queryset=Experiment.objects.all(), required=False, allow_null=True, help_text="An experiment of the team."
    )
    overdue = serializers.SerializerMethodField(help_text="Open and past its due date.")

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "review",
            "map",
            "title",
            "owner",
            "owner_detail",
            "due_date",
            "done",
            "done_at",
            "overdue",
            "touchpoint",
            "pain_point",
            "experiment",
            "created_at",
        ]
        read_only_fields = ["done_at", "created_at"]
        extra_kwargs = {"done": {"help_text": "Set true to close the item (done_at is stamped), false to reopen."}}

    def get_overdue(self, item) -> bool:
        return item.is_overdue()

    def validate(self, attrs):
        return attrs  # the service checks that links are on the review's map and owners are members


class ActionItemFilter(FilterSet):
    review = filters.NumberFilter(field_name="review_id", help_text="Only items of this review (id).")
    map = filters.NumberFilter(field_name="review__journey_map_id", help_text="Only items of this map (id).")
    team = filters.NumberFilter(field_name="review__journey_map__team_id", help_text="Only items of this team (id).")
    owner = filters.NumberFilter(field_name="owner_id", help_text="Only items owned by this person (user id).")
    done = filters.BooleanFilter(help_text="true: done items only; false: open ones only.")
    overdue = filters.BooleanFilter(method="filter_overdue", help_text="true: open items past their due date.")
    due_before = filters.DateFilter(field_name="due_date", lookup_expr="lt", help_text="Due before this date.")

    class Meta:
        model = ActionItem
        fields = ["review", "map", "team", "owner", "done", "overdue", "due_before"]

    def filter_overdue(self, queryset, name, value):
        today = timezone.localdate()
        if value:
            return queryset.filter(done=False, due_date__lt=today)
        return queryset.exclude(done=False, due_date__lt=today)


ACTION_ITEM_EXAMPLE = OpenApiExample(
    "Follow up on delivery times",
    request_only=True,
    value={"review": 1, "title": "Show the delivery date on the product page", "owner": 2, "due_date": "2025-06-13"},
)


@extend_schema_view(
    list=extend_schema(
        summary="List action items",
        description="Action items of your teams' reviews. Filter by `review`, `map`, `team`, `owner`, `done`, "
        "`overdue` and `due_before`; order by `due_date`, `created_at`, `title`.",
    ),
    retrieve=extend_schema(summary="Get an action item"),
    create=extend_schema(
        summary="Add an action item to a review",
        description="Editors add items to a recorded review. The owner must be a member of the map's team; the "
        "touchpoint and pain point must be on the reviewed map.",
        examples=[ACTION_ITEM_EXAMPLE],
    ),
    update=extend_schema(summary="Replace an action item", examples=[ACTION_ITEM_EXAMPLE]),
    partial_update=extend_schema(
        summary="Change an action item, or mark it done",
        description='Send `{"done": true}` to close it (its `done_at` is stamped); open items carry over to '
        "the next review's agenda.",
        examples=[OpenApiExample("Done", request_only=True, value={"done": True})],
    ),
    destroy=extend_schema(summary="Delete an action item"),
)
class ActionItemViewSet(TeamScopedModelViewSet):
    """Action items: what a review decided to do, with an owner and a due date."""

    queryset = ActionItem.objects.all()
    serializer_class = ActionItemSerializer
    filterset_class = ActionItemFilter
    ordering_fields = ["due_date", "created_at", "title"]
    ordering = ["done", "due_date", "id"]
    search_fields = ["title"]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def scope_queryset(self, queryset):
        return queryset.select_related("owner", "review")

    def team_id_from_data(self, validated_data: dict) -> int | None:
        review = validated_data.get("review")
        return review.journey_map.team_id if review is not None else None

    def create_object(self, serializer):
        data = dict(serializer.validated_data)
        review = data.pop("review")
        item = services.action_item_create(
            review=review,
            actor=self.request.user,
            item=services.ActionItemInput(
                title=data.get("title", ""),
                owner=data.get("owner"),
                due_date=data.get("due_date"),
                touchpoint=data.get("touchpoint"),
                pain_point=data.get("pain_point"),
                experiment=data.get("experiment"),
            ),
        )
        if data.get("done"):
            item = services.action_item_set_done(item=item, actor=self.request.user, done=True)
        serializer.instance = self.get_queryset().get(pk=item.pk)

    def update_object(self, serializer):
        data = dict(serializer.validated_data)
        item = serializer.instance
        review = data.pop("review", None)
        if review is not None and review.pk != item.review_id:
            raise ValidationError({"review": gettext("An action item cannot move to another review.")})
        services.action_item_update(item=item, actor=self.request.user, **data)
        serializer.instance = self.get_queryset().get(pk=item.pk)

    def perform_destroy(self, instance):
        services.action_item_delete(item=instance, actor=self.request.user)


# --- reviews --------------------------------------------------------------------------------


class ReviewItemSerializer(serializers.ModelSerializer):
    owner = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ActionItem
        fields = ["id", "title", "owner", "due_date", "done", "done_at", "touchpoint", "pain_point", "experiment"]


class ReviewSerializer(serializers.ModelSerializer):
    map = serializers.IntegerField(source="journey_map_id", read_only=True)
    map_title = serializers.CharField(source="journey_map.title", read_only=True)
    facilitator = PersonSerializer(read_only=True, allow_null=True)
    attendees = PersonSerializer(many=True, read_only=True)
    map_version = serializers.IntegerField(
        source="map_version.number", read_only=True, allow_null=True, help_text="The version number reviewed."
    )
    action_items = ReviewItemSerializer(many=True, read_only=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "map",
            "map_title",
            "date",
            "kind",
            "facilitator",
            "attendees",
            "notes",
            "decisions",
            "map_version",
            "covers_until",
            "action_items",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class NewActionItemSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300)
    owner = MemberField(required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)
    touchpoint = ScopedPrimaryKeyRelatedField(queryset=Touchpoint.objects.all(), required=False, allow_null=True)
    pain_point = ScopedPrimaryKeyRelatedField(queryset=PainPoint.objects.all(), required=False, allow_null=True)
    experiment = ScopedPrimaryKeyRelatedField(queryset=Experiment.objects.all(), required=False, allow_null=True)


class ReviewRecordSerializer(serializers.Serializer):
    """What recording a review takes: the review and, in the same request, its action items."""

    map = ScopedPrimaryKeyRelatedField(queryset=JourneyMap.objects.all(), help_text="The reviewed map.")
    date = serializers.DateField(required=False, help_text="Defaults to today; never in the future.")
    kind = serializers.ChoiceField(choices=Review.Kind.choices, default=Review.Kind.WEEKLY)
    facilitator = MemberField(required=False, allow_null=True)
    attendees = MemberField(many=True, required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=services.TEXT_LIMIT)
    decisions = serializers.CharField(required=False, allow_blank=True, max_length=services.TEXT_LIMIT)
    map_version = ScopedPrimaryKeyRelatedField(
        queryset=MapVersion.objects.all(),
        required=False,
        allow_null=True,
        help_text="The version reviewed (id); defaults to the map's latest published version.",
    )
    action_items = NewActionItemSerializer(many=True, required=False)
    close_action_items = ScopedPrimaryKeyRelatedField(
        queryset=ActionItem.objects.all(),
        many=True,
        required=False,
        help_text="Carried-over items of this map that were done (ids); they are closed with the review.",
    )


class ReviewUpdateSerializer(serializers.Serializer):
    date = serializers.DateField(required=False)
    kind = serializers.ChoiceField(choices=Review.Kind.choices, required=False)
    facilitator = MemberField(required=False, allow_null=True)
    attendees = MemberField(many=True, required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=services.TEXT_LIMIT)
    decisions = serializers.CharField(required=False, allow_blank=True, max_length=services.TEXT_LIMIT)


class ReviewFilter(FilterSet):
    map = filters.NumberFilter(field_name="journey_map_id", help_text="Only reviews of this map (id).")
    team = filters.NumberFilter(field_name="journey_map__team_id", help_text="Only reviews of this team (id).")
    kind = filters.ChoiceFilter(choices=Review.Kind.choices, help_text="Weekly, quarterly or pricing-change.")
    date_after = filters.DateFilter(field_name="date", lookup_expr="gte", help_text="On or after this date.")
    date_before = filters.DateFilter(field_name="date", lookup_expr="lte", help_text="On or before this date.")
    facilitator = filters.NumberFilter(field_name="facilitator_id", help_text="Facilitated by this person (user id).")

    class Meta:
        model = Review
        fields = ["map", "team", "kind", "date_after", "date_before", "facilitator"]


RECORD_EXAMPLE = OpenApiExample(
    "Weekly review with two action items",
    request_only=True,
    value={
        "map": 1,
        "date": "2025-06-09",
        "kind": "weekly",
        "facilitator": 2,
        "attendees": [2, 3],
        "notes": "Cart abandonment at Decision is up again; delivery time is the worry.",
        "decisions": "Show the delivery date before checkout.",
        "action_items": [
            {"title": "Show the delivery date on the product page", "owner": 2, "due_date": "2025-06-16"},
            {"title": "Rewrite the returns policy summary", "owner": 3, "touchpoint": 12},
        ],
        "close_action_items": [7],
    },
)


@extend_schema_view(
    list=extend_schema(
        summary="List reviews",
        description="Recorded reviews of your teams' maps, newest first, with their action items. Filter by "
        "`map`, `team`, `kind`, `date_after`, `date_before`, `facilitator`; order by `date`, `created_at`.",
    ),
    retrieve=extend_schema(summary="Get a review with its action items"),
    destroy=extend_schema(summary="Delete a review", description="Deletes its action items too."),
)
class ReviewViewSet(TeamScopedModelViewSet):
    """Reviews: a team went through a map's agenda and recorded notes, decisions and action items."""

    queryset = Review.objects.all()
    serializer_class = ReviewSerializer
    filterset_class = ReviewFilter
    ordering_fields = ["date", "created_at"]
    ordering = ["-date", "-id"]
    search_fields = ["notes", "decisions", "journey_map__title"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scope_queryset(self, queryset):
        items = ActionItem.objects.select_related("owner").order_by("position", "id")
        return queryset.select_related("journey_map", "facilitator", "map_version").prefetch_related(
            "attendees", Prefetch("action_items", queryset=items)
        )

    def _reload(self, review: Review) -> Review:
        return self.get_queryset().get(pk=review.pk)

    @extend_schema(
        summary="Record a review",
        description="Record a review of a map and its action items in one atomic request; carried-over items "
        "listed in `close_action_items` are closed. Announces `review.recorded` to the team's webhooks. "
        'A bad action item is a 400 naming it (`action_items`: "Item 2: …") and nothing is stored.',
        request=ReviewRecordSerializer,
        responses={201: ReviewSerializer, 400: OpenApiResponse(description="A field is invalid; nothing stored.")},
        examples=[RECORD_EXAMPLE],
    )
    def create(self, request, *args, **kwargs):
        serializer = ReviewRecordSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        review = services.review_record(
            journey_map=data["map"],
            actor=request.user,
            date=data.get("date"),
            kind=data.get("kind", Review.Kind.WEEKLY),
            facilitator=data.get("facilitator"),
            attendees=data.get("attendees", []),
            notes=data.get("notes", ""),
            decisions=data.get("decisions", ""),
            map_version=data.get("map_version"),
            action_items=[services.ActionItemInput(**item) for item in data.get("action_items", [])],
            close_items=data.get("close_action_items", []),
        )
        return Response(ReviewSerializer(self._reload(review)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a recorded review",
        description="Change its date, kind, facilitator, attendees, notes or decisions. Action items are "
        "changed through `/action-items/`.",
        request=ReviewUpdateSerializer,
        responses={200: ReviewSerializer},
        examples=[OpenApiExample("Mark as quarterly", request_only=True, value={"kind": "quarterly"})],
    )
    def partial_update(self, request, *args, **kwargs):
        review = self.get_object()
        serializer = ReviewUpdateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        attendees = data.pop("attendees", None)
        services.review_update(review=review, actor=request.user, attendees=attendees, **data)
        return Response(ReviewSerializer(self._reload(review)).data)

    def perform_destroy(self, instance):
        services.review_delete(review=instance, actor=self.request.user)


# --- review status and agenda ---------------------------------------------------------------


class ReviewStatusSerializer(serializers.ModelSerializer):
    last_review_date = serializers.DateField(read_only=True, allow_null=True)
    last_review_kind = serializers.CharField(read_only=True, allow_null=True)
    open_action_items = serializers.SerializerMethodField()
    next_review_due = serializers.SerializerMethodField(help_text="Null when never reviewed (due now).")
    due_this_week = serializers.SerializerMethodField()

    class Meta:
        model = JourneyMap
        fields = [
            "id",
            "team",
            "title",
            "status",
            "last_review_date",
            "last_review_kind",
            "open_action_items",
            "next_review_due",
            "due_this_week",
        ]
        read_only_fields = fields

    def _cadence(self, journey_map) -> int:
        cache = self.context.setdefault("cadences", {})
        if journey_map.team_id not in cache:
            cache.update(
                dict(
                    ReviewSettings.objects.filter(
                        team_id__in=self.context.get("team_ids", [journey_map.team_id])
                    ).values_list("team_id", "review_cadence_days")
                )
            )
            cache.setdefault(journey_map.team_id, ReviewSettings._meta.get_field("review_cadence_days").default)
        return cache[journey_map.team_id]

    def get_open_action_items(self, journey_map) -> int:
        return journey_map.open_action_items or 0

    def get_next_review_due(self, journey_map) -> str | None:
        due = selectors.next_review_due(journey_map.last_review_date, self._cadence(journey_map))
        return due.isoformat() if due else None

    def get_due_this_week(self, journey_map) -> bool:
        end = selectors.week_end(timezone.localdate())
        return selectors.is_due_by(journey_map.last_review_date, self._cadence(journey_map), end)


class ReviewStatusFilter(FilterSet):
    team = filters.NumberFilter(field_name="team_id", help_text="Only maps of this team (id).")
    not_reviewed_since = filters.DateFilter(
        method="filter_not_reviewed_since",
        help_text="Only maps with no review on or after this date (YYYY-MM-DD), e.g. since a pricing change.",
    )
    reviewed = filters.BooleanFilter(
        field_name="last_review_date", lookup_expr="isnull", exclude=True, help_text="false: never-reviewed maps."
    )

    class Meta:
        model = JourneyMap
        fields = ["team", "not_reviewed_since", "reviewed"]

    def filter_not_reviewed_since(self, queryset, name, value):
        from django.db.models import Exists, OuterRef

        return queryset.filter(~Exists(Review.objects.filter(journey_map=OuterRef("pk"), date__gte=value)))


@extend_schema_view(
    list=extend_schema(
        summary="List maps with their review status",
        description="Your teams' maps (archived ones left out) with the last review's date and kind, open action "
        "items and when the next review is due. `?not_reviewed_since=YYYY-MM-DD` lists the maps nobody has "
        "reviewed since a date (quarterly and pricing-change reviews). Order by `title`, `last_review_date`.",
    ),
    retrieve=extend_schema(summary="Get a map's review status"),
)
class ReviewStatusViewSet(TeamScopedReadOnlyViewSet):
    """Review status of maps, and each map's agenda since its last review."""

    queryset = JourneyMap.objects.all()
    serializer_class = ReviewStatusSerializer
    filterset_class = ReviewStatusFilter
    ordering_fields = ["title", "last_review_date"]
    ordering = ["title"]

    def scope_queryset(self, queryset):
        return selectors.maps_with_review_status(self.request.user)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        ids = visible_team_ids(self.request.user) if self.request else []
        context["team_ids"] = [row["team_id"] if isinstance(row, dict) else row for row in ids]
        return context

    @extend_schema(
        summary="A map's review agenda",
        description="What changed since the map's last review, built by itself: `versions` (the diff between the "
        "version reviewed last time and the latest), `feedback` (NPS and CSAT per stage since the last review "
        "against the period before, with 95 % margins; `significant` when the move is larger than the margin "
        "of the difference), `sla` (hand-off and follow-up breaches, overdue follow-ups), `experiments` "
        "(started, concluded, running), `health` (score and what lowers it), `pain_points` (opened and fixed), "
        "`open_threads` (discussions still open on the map, oldest first), "
        "`action_items` (open ones carried over, ones done since) and `stage_changes` (from the stage "
        "transitions: the stages whose conversion to the next stage changed most against the period before, "
        "each share with its Wilson 95 % interval and n and the difference with Newcombe's interval, and "
        "those whose median time in stage changed most, in seconds, with n and the median's 95 % interval).",
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=True, methods=["get"])
    def agenda(self, request, pk=None):
        journey_map = self.get_object()
        return Response(agenda_data(selectors.agenda_for(journey_map)))


# --- the agenda as JSON ----------------------------------------------------------------------


def agenda_data(agenda: selectors.Agenda) -> dict:
    """Return a map's review agenda as the API's JSON."""

    def person(user):
        return None if user is None else {"id": user.pk, "username": user.get_username()}

    def version(v):
        return None if v is None else {"id": v.pk, "number": v.number, "created_at": v.created_at.isoformat()}

    def experiment(e):
        return {
            "id": e.pk,
            "title": e.title,
            "status": e.status,
            "started_at": e.started_at.isoformat() if e.started_at else None,
            "concluded_at": e.concluded_at.isoformat() if e.concluded_at else None,
            "outcome": e.outcome,
            "decision": e.decision,
        }

    def pain(p):
        return {
            "id": p.pk,
            "title": p.title,
            "severity": p.severity,
            "status": p.status,
            "touchpoint": p.touchpoint.name,
            "created_at": p.created_at.isoformat(),
            "fixed_at": p.fixed_at.isoformat() if p.fixed_at else None,
        }

    def followup(f):
        return {
            "id": f.pk,
            "touchpoint": f.touchpoint.name if f.touchpoint else None,
            "owner": person(f.owner),
            "status": f.status,
            "due_at": f.due_at.isoformat(),
            "breached_at": f.breached_at.isoformat() if f.breached_at else None,
        }

    return {
        "map": {"id": agenda.journey_map.pk, "title": agenda.journey_map.title},
        "since": agenda.since.isoformat(),
        "until": agenda.until.isoformat(),
        "first_review": agenda.is_first,
        "last_review": None
        if agenda.last_review is None
        else {
            "id": agenda.last_review.pk,
            "date": agenda.last_review.date.isoformat(),
            "kind": agenda.last_review.kind,
        },
        "versions": {
            "base": version(agenda.base_version),
            "latest": version(agenda.latest_version),
            "draft_has_unpublished_changes": agenda.draft_ahead,
            "diff": agenda.diff,
        },
        "feedback": [_movement_data(m) for m in agenda.movements],
        "sla": {
            "handoff_breaches": [
                {
                    "id": c.pk,
                    "handoff": str(c.handoff),
                    "reference": c.reference,
                    "owner": person(c.handoff.to_owner),
                    "breached_at": c.breached_at.isoformat(),
                    "completed_at": c.completed_at.isoformat() if c.completed_at else None,
                }
                for c in agenda.handoff_breaches
            ],
            "followup_breaches": [followup(f) for f in agenda.followup_breaches],
            "overdue_followups": [followup(f) for f in agenda.overdue_followups],
        },
        "experiments": {
            "started": [experiment(e) for e in agenda.experiments_started],
            "concluded": [experiment(e) for e in agenda.experiments_concluded],
            "running": [experiment(e) for e in agenda.experiments_running],
        },
        "health": agenda.health.as_dict(),
        "pain_points": {
            "opened": [pain(p) for p in agenda.pain_points_opened],
            "fixed": [pain(p) for p in agenda.pain_points_fixed],
        },
        "open_threads": [
            {
                "id": t.pk,
                "target": t.target,
                "subject": t.subject,
                "comments": len(t.comments.all()),
                "started_by": person(t.created_by),
                "created_at": t.created_at.isoformat(),
                "last_comment_at": t.last_comment_at.isoformat(),
            }
            for t in agenda.open_threads
        ],
        "action_items": {
            "carried_over": [_action_item_data(i) for i in agenda.carried_over],
            "done_since": [_action_item_data(i) for i in agenda.done_since],
        },
        "change_count": agenda.change_count,
        "stage_changes": agenda.stage_changes,
    }


def _movement_data(movement: selectors.StageMovement) -> dict:
    return {
        "stage": {"id": movement.stage.pk, "name": movement.stage.name},
        "metric": movement.metric,
        "now": movement.now.as_dict(),
        "before": movement.before.as_dict(),
        "delta": movement.delta,
        "margin": movement.margin,
        "significant": movement.significant,
    }


def _action_item_data(item: ActionItem) -> dict:
    return {
        "id": item.pk,
        "title": item.title,
        "owner": None if item.owner is None else {"id": item.owner.pk, "username": item.owner.get_username()},
        "due_date": item.due_date.isoformat() if item.due_date else None,
        "done": item.done,
        "overdue": item.is_overdue(),
        "review": item.review_id,
    }


routes = [
    ("reviews", ReviewViewSet, "review"),
    ("action-items", ActionItemViewSet, "action-item"),
    ("review-status", ReviewStatusViewSet, "review-status"),
]
