"""The automations API: automations and their steps, enrolments, actions, owner tasks, contact
rules and suppressions, team scoped. Writes go through ``services``."""

from __future__ import annotations

from django.utils.translation import gettext
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from customers.models import Profile
from journeys.models import JourneyMap, Stage
from owners.models import Playbook
from teams.access import require_role
from teams.api_base import ScopedPrimaryKeyRelatedField, TeamScopedModelViewSet, TeamScopedReadOnlyViewSet
from teams.fields import PersonSerializer
from teams.filters import FilterSet as StrictFilterSet
from teams.models import Role, Team

from . import engine, messages, playbooks, selectors, services
from .models import Action, Automation, Enrolment, OwnerTask, Respect, StageCap, Step, Suppression

# --- automations ------------------------------------------------------------------------------


class AutomationSerializer(serializers.ModelSerializer):
    journey_map = ScopedPrimaryKeyRelatedField(queryset=JourneyMap.objects.all(), help_text="The map it acts on.")
    trigger_config = serializers.JSONField(required=False, help_text="The trigger's settings (docs/automations.md).")
    conditions = serializers.JSONField(required=False, help_text="Conditions to enter, all must hold.")
    exit_criteria = serializers.JSONField(required=False, help_text='{"next_stage": true, "event": "…"}')
    goal_config = serializers.JSONField(required=False, help_text='{"stage": id} | {"touchpoint": id} | {"event": "…"}')
    playbook = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Automation
        fields = [
            "id",
            "team",
            "journey_map",
            "name",
            "description",
            "trigger",
            "trigger_config",
            "conditions",
            "exit_criteria",
            "holdout_percent",
            "reentry",
            "daily_send_limit",
            "goal",
            "goal_config",
            "goal_window_days",
            "status",
            "playbook",
            "revision",
            "created_at",
            "activated_at",
            "updated_at",
        ]
        read_only_fields = ["team", "status", "revision", "created_at", "activated_at", "updated_at"]


class AutomationFilter(StrictFilterSet):
    team = filters.NumberFilter(field_name="team", help_text="Team id.")
    map = filters.NumberFilter(field_name="journey_map", help_text="Map id.")

    class Meta:
        model = Automation
        fields = ["team", "map", "status", "trigger"]


class StatsSerializer(serializers.Serializer):
    statuses = serializers.DictField(child=serializers.IntegerField(), help_text="Enrolments by status.")
    steps = serializers.ListField(
        child=serializers.DictField(), help_text="Per step: in step now, passed, exited, converted."
    )
    result = serializers.DictField(
        help_text="Goal conversion, enrolled vs holdout, with n, intervals and the difference."
    )


class DryRunSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="How many customers would enter now.")
    capped = serializers.BooleanField(help_text="True when only the first 5 000 candidates were checked.")
    profiles = serializers.ListField(child=serializers.DictField(), help_text="The first 50 of them.")


class PreviewSerializer(serializers.Serializer):
    locale = serializers.CharField()
    subject = serializers.CharField()
    body = serializers.CharField()


class FromPlaybookSerializer(serializers.Serializer):
    playbook = ScopedPrimaryKeyRelatedField(
        queryset=Playbook.objects.all(), help_text="The playbook to turn into an automation."
    )


AUTOMATION_FIELDS = services.EDITABLE


@extend_schema_view(
    list=extend_schema(summary="List automations", description="Automations on the maps of your teams."),
    retrieve=extend_schema(summary="Get an automation"),
    create=extend_schema(
        summary="Create an automation (draft)",
        examples=[
            OpenApiExample(
                "Stalled in Decision",
                value={
                    "journey_map": 1,
                    "name": "Stalled in Decision",
                    "trigger": "stage_stalled",
                    "trigger_config": {"stage": 3, "after_hours": 48},
                    "exit_criteria": {"next_stage": True},
                },
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Change an automation (in-flight enrolments go on; docs/automations.md)",
        examples=[
            OpenApiExample("Rename and widen the holdout", value={"name": "Stalled at Decision", "holdout_percent": 20})
        ],
    ),
    destroy=extend_schema(summary="Delete an automation with its enrolments and actions"),
)
class AutomationViewSet(TeamScopedModelViewSet):
    """Automations: a trigger, conditions, steps, exit criteria, a holdout and a goal."""

    queryset = Automation.objects.all()
    serializer_class = AutomationSerializer
    filterset_class = AutomationFilter
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created_at", "updated_at", "id"]
    ordering = ["name", "id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scope_queryset(self, queryset):
        return queryset.select_related("journey_map", "team")

    def team_id_from_data(self, validated_data):
        journey_map = validated_data.get("journey_map")
        return journey_map.team_id if journey_map is not None else None

    def create_object(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.automation_create(
            actor=self.request.user,
            journey_map=data["journey_map"],
            name=data.get("name", ""),
            trigger=data.get("trigger", Automation.Trigger.STAGE_ENTERED),
            **{k: v for k, v in data.items() if k in AUTOMATION_FIELDS and k not in ("name", "trigger")},
        )

    def update_object(self, serializer):
        data = serializer.validated_data
        if "journey_map" in data and data["journey_map"] != serializer.instance.journey_map:
            raise serializers.ValidationError({"journey_map": gettext("An automation cannot move to another map.")})
        serializer.instance = services.automation_update(
            automation=serializer.instance,
            actor=self.request.user,
            **{k: v for k, v in data.items() if k in AUTOMATION_FIELDS},
        )

    def perform_destroy(self, instance):
        services.automation_delete(automation=instance, actor=self.request.user)

    def _answer(self, automation):
        fresh = self.get_queryset().get(pk=automation.pk)
        return Response(AutomationSerializer(fresh, context=self.get_serializer_context()).data)

    @extend_schema(summary="Turn an automation on (or resume it)", request=None, responses={200: AutomationSerializer})
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        return self._answer(services.automation_activate(automation=self.get_object(), actor=request.user))

    @extend_schema(summary="Pause an automation", request=None, responses={200: AutomationSerializer})
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        return self._answer(services.automation_pause(automation=self.get_object(), actor=request.user))

    @extend_schema(
        summary="Live counts and the holdout result",
        description="Enrolments by status; per step (top to bottom, with depth) how many stand at it now, "
        "passed it, exited at it and converted after passing it; goal conversion of the enrolled and the "
        "holdout (rates as fractions with n and Wilson 95 % intervals) and the difference in percentage "
        "points with its 95 % interval and p-value (two-proportion z-test).",
        responses={200: StatsSerializer},
    )
    @action(detail=True, methods=["get"])
    def stats(self, request, pk=None):
        automation = self.get_object()
        rows = selectors.step_rows(automation)
        return Response(
            {
                "statuses": selectors.status_counts(automation),
                "steps": [
                    {
                        "id": r.step.pk,
                        "kind": r.step.kind,
                        "depth": r.depth,
                        "side": r.step.side,
                        "in_step": r.in_step,
                        "passed": r.passed,
                        "exited": r.exited,
                        "converted": r.converted,
                    }
                    for r in rows
                ],
                "result": selectors.holdout_result(automation),
            }
        )

    @extend_schema(
        summary="Dry run: who would enter now",
        description="The customers the trigger holds now (stage triggers: who stands in the stage, stalled "
        "ones past the threshold; event and trait triggers: who did it in the last 7 days) that the "
        "conditions and the re-entry policy admit. Nothing is written.",
        responses={200: DryRunSerializer},
    )
    @action(detail=True, methods=["get"], url_path="dry-run")
    def dry_run(self, request, pk=None):
        result = engine.dry_run(self.get_object())
        return Response(
            {
                "count": result["count"],
                "capped": result["capped"],
                "profiles": [{"id": p.pk, "user_id": p.user_id} for p in result["profiles"]],
            }
        )

    @extend_schema(
        summary="Turn a playbook into an automation",
        description="A draft automation on the playbook's map: its stage's stall trigger (or entry, without "
        "a stage), an owner task under the touchpoint's SLA, named after the playbook.",
        request=FromPlaybookSerializer,
        responses={201: AutomationSerializer},
        examples=[OpenApiExample("The failed-trial playbook", value={"playbook": 1}, request_only=True)],
    )
    @action(detail=False, methods=["post"], url_path="from-playbook")
    def from_playbook(self, request):
        serializer = FromPlaybookSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        playbook = serializer.validated_data["playbook"]
        require_role(request.user, playbook.journey_map.team_id, Role.EDITOR)
        automation = playbooks.automation_from_playbook(playbook=playbook, actor=request.user)
        fresh = self.get_queryset().get(pk=automation.pk)
        return Response(AutomationSerializer(fresh, context=self.get_serializer_context()).data, status=201)


# --- steps ------------------------------------------------------------------------------------


class AutomationStepSerializer(serializers.ModelSerializer):
    automation = ScopedPrimaryKeyRelatedField(queryset=Automation.objects.all())
    parent = ScopedPrimaryKeyRelatedField(
        queryset=Step.objects.all(), required=False, allow_null=True, help_text="A branch step: this goes under it."
    )
    config = serializers.JSONField(required=False, help_text="The step's settings (docs/automations.md).")

    class Meta:
        model = Step
        fields = ["id", "automation", "parent", "side", "position", "kind", "config", "created_at"]
        read_only_fields = ["position", "created_at"]


class StepFilter(StrictFilterSet):
    class Meta:
        model = Step
        fields = ["automation", "parent", "kind"]


class MoveSerializer(serializers.Serializer):
    direction = serializers.ChoiceField(choices=["up", "down"])


class StepPreviewQuery(serializers.Serializer):
    locale = serializers.CharField(required=False, max_length=20, default="en")


@extend_schema_view(
    list=extend_schema(summary="List steps", description="Steps of automations, in order."),
    retrieve=extend_schema(summary="Get a step"),
    create=extend_schema(
        summary="Add a step",
        description="At the end of the main line, or of a branch's yes or no side (`parent`, `side`).",
        examples=[
            OpenApiExample(
                "Returns policy email",
                value={
                    "automation": 1,
                    "kind": "email",
                    "config": {
                        "templates": {
                            "en": {"subject": "Our returns policy", "body": "Hi {{ first_name }}, 30 days to return."},
                            "lv": {"subject": "Atgriešanas noteikumi", "body": "Sveiki, {{ first_name }}!"},
                        }
                    },
                },
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Change a step's settings",
        examples=[OpenApiExample("Wait two days", value={"config": {"hours": 48}})],
    ),
    destroy=extend_schema(summary="Remove a step (enrolments at it go on after its place)"),
)
class StepViewSet(TeamScopedModelViewSet):
    """Steps of automations."""

    queryset = Step.objects.all()
    serializer_class = AutomationStepSerializer
    filterset_class = StepFilter
    ordering_fields = ["position", "id"]
    ordering = ["automation", "position", "id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scope_queryset(self, queryset):
        return queryset.select_related("automation__journey_map", "automation__team")

    def team_id_from_data(self, validated_data):
        automation = validated_data.get("automation")
        return automation.team_id if automation is not None else None

    def create_object(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.step_add(
            automation=data["automation"],
            actor=self.request.user,
            kind=data.get("kind", ""),
            config=data.get("config"),
            parent=data.get("parent"),
            side=data.get("side", ""),
        )

    def update_object(self, serializer):
        data = serializer.validated_data
        for fixed in ("automation", "parent", "side", "kind"):
            if fixed in data and data[fixed] != getattr(serializer.instance, fixed):
                raise serializers.ValidationError({fixed: gettext("Remove the step and add another instead.")})
        serializer.instance = services.step_update(
            step=serializer.instance, actor=self.request.user, config=data.get("config", serializer.instance.config)
        )

    def perform_destroy(self, instance):
        services.step_delete(step=instance, actor=self.request.user)

    @extend_schema(
        summary="Move a step up or down its list",
        description="Swaps the step with its neighbour in the same list (the main line or a branch's side).",
        request=MoveSerializer,
        responses={200: AutomationStepSerializer},
        examples=[OpenApiExample("Up one place", value={"direction": "up"}, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        step = self.get_object()
        serializer = MoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        step = services.step_move(step=step, actor=request.user, direction=serializer.validated_data["direction"])
        return Response(AutomationStepSerializer(step, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Preview an email step in a language",
        description="The subject and body a customer would get in `locale`, with sample traits "
        "(first_name Alex); `locale` says which template was used.",
        parameters=[OpenApiParameter("locale", OpenApiTypes.STR, description="e.g. en, lv, zh-Hant")],
        responses={200: PreviewSerializer},
    )
    @action(detail=True, methods=["get"])
    def preview(self, request, pk=None):
        step = self.get_object()
        query = StepPreviewQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        if step.kind not in (Step.Kind.EMAIL, Step.Kind.SURVEY):
            raise serializers.ValidationError({"kind": gettext("Only email and survey steps have a preview.")})
        sample = Profile(team_id=step.automation.team_id, traits={"first_name": "Alex"})
        rendered = messages.render_for(step, sample, step.automation, locale=query.validated_data["locale"])
        return Response({"locale": rendered.locale, "subject": rendered.subject, "body": rendered.body})


# --- enrolments, actions, tasks --------------------------------------------------------------


class EnrolmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Enrolment
        fields = [
            "id",
            "automation",
            "profile",
            "status",
            "is_holdout",
            "step",
            "next_run_at",
            "entered_at",
            "ended_at",
            "exit_reason",
            "converted_at",
            "stage",
        ]
        read_only_fields = fields


class EnrolmentFilter(StrictFilterSet):
    class Meta:
        model = Enrolment
        fields = ["automation", "profile", "status", "is_holdout"]


@extend_schema_view(
    list=extend_schema(summary="List enrolments", description="Customers' runs through automations."),
    retrieve=extend_schema(
        summary="Get an enrolment", description="One customer's run: its step, next run time, status and holdout flag."
    ),
)
class EnrolmentViewSet(TeamScopedReadOnlyViewSet):
    queryset = Enrolment.objects.all()
    serializer_class = EnrolmentSerializer
    filterset_class = EnrolmentFilter
    ordering_fields = ["entered_at", "next_run_at", "id"]
    ordering = ["-entered_at", "-id"]


class ActionSerializer(serializers.ModelSerializer):
    idempotency_key = serializers.CharField(read_only=True)

    class Meta:
        model = Action
        fields = [
            "id",
            "automation",
            "enrolment",
            "step",
            "profile",
            "kind",
            "status",
            "attempts",
            "reason",
            "result",
            "idempotency_key",
            "created_at",
            "not_before",
            "done_at",
        ]
        read_only_fields = fields


class ActionFilter(StrictFilterSet):
    class Meta:
        model = Action
        fields = ["automation", "enrolment", "profile", "kind", "status"]


@extend_schema_view(
    list=extend_schema(summary="List actions", description="The outbox and step log: one row per enrolment and step."),
    retrieve=extend_schema(
        summary="Get an action", description="One step done for one enrolment: what was sent or written, and when."
    ),
)
class ActionViewSet(TeamScopedReadOnlyViewSet):
    queryset = Action.objects.all()
    serializer_class = ActionSerializer
    filterset_class = ActionFilter
    ordering_fields = ["created_at", "done_at", "id"]
    ordering = ["-created_at", "-id"]


class OwnerTaskSerializer(serializers.ModelSerializer):
    owner = PersonSerializer(read_only=True, allow_null=True)
    automation = serializers.IntegerField(source="action.automation_id", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = OwnerTask
        fields = [
            "id",
            "automation",
            "action",
            "profile",
            "touchpoint",
            "owner",
            "title",
            "status",
            "due_at",
            "is_overdue",
            "breached_at",
            "escalate_at",
            "escalated_at",
            "created_at",
            "closed_at",
        ]
        read_only_fields = fields


class OwnerTaskFilter(StrictFilterSet):
    class Meta:
        model = OwnerTask
        fields = ["owner", "status", "touchpoint", "profile"]


@extend_schema_view(
    list=extend_schema(summary="List owner tasks", description="Tasks automations opened for touchpoint owners."),
    retrieve=extend_schema(
        summary="Get an owner task", description="A task an automation opened for a touchpoint's owner, under its SLA."
    ),
)
class OwnerTaskViewSet(TeamScopedReadOnlyViewSet):
    queryset = OwnerTask.objects.all()
    serializer_class = OwnerTaskSerializer
    filterset_class = OwnerTaskFilter
    ordering_fields = ["due_at", "created_at", "id"]
    ordering = ["status", "due_at", "id"]

    def scope_queryset(self, queryset):
        return queryset.select_related("owner", "action")

    @extend_schema(
        summary="Close an owner task",
        description="Marks the task done (editors of its team); closing a closed task changes nothing.",
        request=None,
        responses={200: OwnerTaskSerializer},
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        task = services.owner_task_close(task=self.get_object(), actor=request.user)
        return Response(
            OwnerTaskSerializer(self.get_queryset().get(pk=task.pk), context=self.get_serializer_context()).data
        )


# --- contact rules and suppressions ---------------------------------------------------------------


class RespectSerializer(serializers.ModelSerializer):
    team = ScopedPrimaryKeyRelatedField(queryset=Team.objects.all())

    class Meta:
        model = Respect
        fields = ["id", "team", "max_messages", "per_days", "quiet_start", "quiet_end"]


@extend_schema_view(
    list=extend_schema(summary="List contact rules", description="Frequency cap and quiet hours per team."),
    retrieve=extend_schema(
        summary="Get a team's contact rules",
        description="The frequency cap across all automations and channels, and quiet hours (customer's time zone).",
    ),
    create=extend_schema(
        summary="Set a team's contact rules (team admins)",
        description="One set per team: setting them again changes the team's set.",
        examples=[
            OpenApiExample(
                "Three a week, quiet at night",
                value={"team": 1, "max_messages": 3, "per_days": 7, "quiet_start": "21:00", "quiet_end": "08:00"},
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Change a team's contact rules (team admins)",
        description="Only the fields sent change.",
        examples=[OpenApiExample("Five a week", value={"max_messages": 5})],
    ),
)
class RespectViewSet(TeamScopedModelViewSet):
    queryset = Respect.objects.all()
    serializer_class = RespectSerializer
    write_role = Role.ADMIN
    ordering_fields = ["id"]
    ordering = ["id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def create_object(self, serializer):
        data = dict(serializer.validated_data)
        team = data.pop("team")
        serializer.instance = services.respect_update(team=team, actor=self.request.user, **data)

    def update_object(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("team", None)
        serializer.instance = services.respect_update(team=serializer.instance.team, actor=self.request.user, **data)


class StageCapSerializer(serializers.ModelSerializer):
    stage = ScopedPrimaryKeyRelatedField(
        queryset=Stage.objects.all(), help_text="The stage whose customers the cap applies to (one cap per stage)."
    )
    journey_map = serializers.IntegerField(source="stage.journey_map_id", read_only=True, help_text="The stage's map.")

    class Meta:
        model = StageCap
        fields = ["id", "team", "stage", "journey_map", "max_messages", "per_days", "created_at"]
        read_only_fields = ["team", "created_at"]


class StageCapFilter(StrictFilterSet):
    team = filters.NumberFilter(field_name="team", help_text="Team id.")
    map = filters.NumberFilter(field_name="stage__journey_map", help_text="Map id.")

    class Meta:
        model = StageCap
        fields = ["team", "map", "stage"]


_CAP_RULE = (
    "While a customer's current stage on a map has a cap, that cap applies instead of the team's contact "
    "rules cap; in capped stages of several maps every cap holds (the strictest decides)."
)


@extend_schema_view(
    list=extend_schema(summary="List stage frequency caps", description=_CAP_RULE),
    retrieve=extend_schema(summary="Get a stage frequency cap", description=_CAP_RULE),
    create=extend_schema(
        summary="Cap messages for the customers in a stage (team admins)",
        description=_CAP_RULE + " One cap per stage; the team is the stage's.",
        examples=[OpenApiExample("Two a fortnight in Decision", value={"stage": 3, "max_messages": 2, "per_days": 14})],
    ),
    partial_update=extend_schema(
        summary="Change a stage frequency cap (team admins)",
        description="Only the fields sent change; the cap may move to another stage of the same team.",
        examples=[OpenApiExample("One a week", value={"max_messages": 1, "per_days": 7})],
    ),
    destroy=extend_schema(
        summary="Remove a stage frequency cap (team admins)",
        description="The stage's customers are under the team's cap again.",
    ),
)
class StageCapViewSet(TeamScopedModelViewSet):
    queryset = StageCap.objects.all()
    serializer_class = StageCapSerializer
    filterset_class = StageCapFilter
    write_role = Role.ADMIN
    ordering_fields = ["id", "created_at"]
    ordering = ["id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scope_queryset(self, queryset):
        return queryset.select_related("stage")

    def team_id_from_data(self, validated_data):
        stage = validated_data.get("stage")
        return stage.get_team_id() if stage is not None else None

    def create_object(self, serializer):
        serializer.instance = services.stage_cap_create(actor=self.request.user, **serializer.validated_data)

    def update_object(self, serializer):
        serializer.instance = services.stage_cap_update(
            cap=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.stage_cap_delete(cap=instance, actor=self.request.user)


class SuppressionSerializer(serializers.ModelSerializer):
    profile = ScopedPrimaryKeyRelatedField(queryset=Profile.objects.all())

    class Meta:
        model = Suppression
        fields = ["id", "profile", "reason", "created_at"]
        read_only_fields = ["reason", "created_at"]


@extend_schema_view(
    list=extend_schema(summary="List suppressions", description="Customers no automation message goes to."),
    retrieve=extend_schema(
        summary="Get a suppression", description="A customer no automation message goes to, and why."
    ),
    create=extend_schema(
        summary="Stop messages to a customer",
        description="No automation sends this customer anything until the suppression is deleted.",
        examples=[OpenApiExample("A customer asked", value={"profile": 1})],
    ),
    destroy=extend_schema(
        summary="Allow messages to a customer again",
        description="Deletes the suppression; unsubscribes and erasures are not undone by it.",
    ),
)
class SuppressionViewSet(TeamScopedModelViewSet):
    queryset = Suppression.objects.all()
    serializer_class = SuppressionSerializer
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]
    http_method_names = ["get", "post", "delete", "head", "options"]

    def team_id_from_data(self, validated_data):
        profile = validated_data.get("profile")
        return profile.team_id if profile is not None else None

    def create_object(self, serializer):
        serializer.instance = services.profile_suppress(
            profile=serializer.validated_data["profile"], actor=self.request.user
        )

    def perform_destroy(self, instance):
        services.suppression_delete(suppression=instance, actor=self.request.user)


routes = [
    ("automations", AutomationViewSet, "automation"),
    ("automation-steps", StepViewSet, "automation-step"),
    ("enrolments", EnrolmentViewSet, "enrolment"),
    ("automation-actions", ActionViewSet, "automation-action"),
    ("owner-tasks", OwnerTaskViewSet, "owner-task"),
    ("contact-rules", RespectViewSet, "contact-rules"),
    ("stage-caps", StageCapViewSet, "stage-cap"),
    ("suppressions", SuppressionViewSet, "suppression"),
]
