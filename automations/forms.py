"""Forms of the automation pages: the automation's settings and one form per step, flattened into
the JSON the services take (``trigger_config``, ``config``)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from journeys.models import JourneyMap, Stage, Touchpoint

from .models import Automation, Step

EMAIL_LANGUAGES = [
    ("en", "English"),
    ("zh-Hant", "繁體中文"),
    ("zh-Hans", "简体中文"),
    ("lv", "latviešu"),
    ("bg", "български"),
]
OPS = [
    ("eq", _("is")),
    ("neq", _("is not")),
    ("contains", _("contains")),
    ("exists", _("is set")),
    ("gt", _("is more than")),
    ("lt", _("is less than")),
]


class StageChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.journey_map.title} › {obj.name}"


class TouchpointChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.stage.journey_map.title} › {obj.stage.name} › {obj.name}"


class AutomationForm(forms.Form):
    journey_map = forms.ModelChoiceField(queryset=JourneyMap.objects.none(), label=_("Journey map"))
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    trigger = forms.ChoiceField(label=_("Trigger"), choices=Automation.Trigger.choices)
    stage = StageChoice(queryset=Stage.objects.none(), required=False, label=_("Stage"))
    after_hours = forms.FloatField(
        required=False, min_value=0.01, label=_("Stalled after (hours)"), help_text=_("Blank: the stage's SLA.")
    )
    event = forms.CharField(required=False, max_length=200, label=_("Event"))
    then_event = forms.CharField(required=False, max_length=200, label=_("…and not this event after it"))
    within_hours = forms.FloatField(required=False, min_value=0.01, label=_("Within (hours)"))
    trait = forms.CharField(required=False, max_length=200, label=_("Trait"))
    touchpoint = TouchpointChoice(queryset=Touchpoint.objects.none(), required=False, label=_("Moment (touchpoint)"))
    max_score = forms.IntegerField(required=False, min_value=0, max_value=10, initial=6, label=_("Score at most"))
    holdout_percent = forms.IntegerField(min_value=0, max_value=50, initial=10, label=_("Holdout (%)"))
    reentry = forms.ChoiceField(label=_("Re-entry"), choices=Automation.Reentry.choices, initial="after_exit")
    daily_send_limit = forms.IntegerField(
        required=False, min_value=0, max_value=10**6, label=_("Sends per day at most")
    )
    exit_next_stage = forms.BooleanField(required=False, initial=True, label=_("Exit when they reach the next stage"))
    exit_event = forms.CharField(required=False, max_length=200, label=_("Exit when they do this event"))
    goal = forms.ChoiceField(label=_("Goal"), choices=Automation.Goal.choices)
    goal_stage = StageChoice(queryset=Stage.objects.none(), required=False, label=_("Goal stage"))
    goal_event = forms.CharField(required=False, max_length=200, label=_("Goal event"))
    goal_window_days = forms.IntegerField(min_value=1, max_value=365, initial=30, label=_("Goal window (days)"))

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["journey_map"].queryset = JourneyMap.objects.for_team(team)
        stages = Stage.objects.for_team(team).select_related("journey_map").order_by("journey_map__title", "position")
        self.fields["stage"].queryset = stages
        self.fields["goal_stage"].queryset = stages
        self.fields["touchpoint"].queryset = (
            Touchpoint.objects.for_team(team)
            .filter(is_moment=True)
            .select_related("stage__journey_map")
            .order_by("stage__journey_map__title", "stage__position", "position")
        )

    @classmethod
    def initial_for(cls, automation: Automation) -> dict:
        cfg, goal = automation.trigger_config or {}, automation.goal_config or {}
        return {
            "journey_map": automation.journey_map_id,
            "name": automation.name,
            "description": automation.description,
            "trigger": automation.trigger,
            "stage": cfg.get("stage"),
            "after_hours": cfg.get("after_hours"),
            "event": cfg.get("event", ""),
            "then_event": cfg.get("then_event", ""),
            "within_hours": cfg.get("within_hours"),
            "trait": cfg.get("trait", ""),
            "touchpoint": cfg.get("touchpoint"),
            "max_score": cfg.get("max_score", 6),
            "holdout_percent": automation.holdout_percent,
            "reentry": automation.reentry,
            "daily_send_limit": automation.daily_send_limit,
            "exit_next_stage": bool((automation.exit_criteria or {}).get("next_stage")),
            "exit_event": (automation.exit_criteria or {}).get("event", ""),
            "goal": automation.goal,
            "goal_stage": goal.get("stage"),
            "goal_event": goal.get("event", ""),
            "goal_window_days": automation.goal_window_days,
        }

    def service_fields(self) -> dict:
        """The cleaned form as the services' fields (JSON settings built from the flat inputs)."""
        d = self.cleaned_data
        trigger_config = {
            "stage": d["stage"].pk if d.get("stage") else None,
            "after_hours": d.get("after_hours"),
            "event": d.get("event") or None,
            "then_event": d.get("then_event") or None,
            "within_hours": d.get("within_hours"),
            "trait": d.get("trait") or None,
            "touchpoint": d["touchpoint"].pk if d.get("touchpoint") else None,
            "max_score": d.get("max_score") if d.get("max_score") is not None else 6,
        }
        goal_config = {}
        if d.get("goal_stage"):
            goal_config["stage"] = d["goal_stage"].pk
        if d.get("goal_event"):
            goal_config["event"] = d["goal_event"]
        if d.get("touchpoint"):
            goal_config["touchpoint"] = d["touchpoint"].pk
        return {
            "name": d["name"],
            "description": d.get("description", ""),
            "trigger": d["trigger"],
            "trigger_config": trigger_config,
            "holdout_percent": d["holdout_percent"],
            "reentry": d["reentry"],
            "daily_send_limit": d.get("daily_send_limit"),
            "exit_criteria": {"next_stage": d.get("exit_next_stage", False), "event": d.get("exit_event") or None},
            "goal": d["goal"],
            "goal_config": goal_config,
            "goal_window_days": d["goal_window_days"],
        }


TEXT_FIELDS = [f"{part}_{code}" for code, _name in EMAIL_LANGUAGES for part in ("subject", "body")]
# The inputs each kind of step reads; the form holds only the chosen kind's (and ``kind``).
KIND_FIELDS: dict[str, list[str]] = {
    Step.Kind.WAIT: ["hours"],
    Step.Kind.WAIT_EVENT: ["event", "timeout_hours"],
    Step.Kind.WAIT_TIME: ["hour"],
    Step.Kind.BRANCH: ["condition_kind", "condition_key", "condition_op", "condition_value", "condition_stage"],
    Step.Kind.EMAIL: TEXT_FIELDS,
    Step.Kind.WEBHOOK: ["event_name", "endpoint"],
    Step.Kind.SURVEY: ["survey", "via", *TEXT_FIELDS],
    Step.Kind.TASK: ["touchpoint", "title"],
    Step.Kind.COHORT: ["cohort"],
    Step.Kind.TRAIT: ["key", "value"],
}


class StepForm(forms.Form):
    """A step's kind and the inputs that kind reads: the form is built for one kind at a time.

    The kind is the bound ``kind`` when it is a valid choice, else the initial one, so the page
    (and an HTMX swap when the kind select changes) renders only that kind's inputs. On an
    existing step the kind is fixed: a step changes kind by being removed and added again.
    """

    kind = forms.ChoiceField(label=_("Kind of step"), choices=Step.Kind.choices)
    hours = forms.FloatField(required=False, min_value=0.01, label=_("Hours"))
    event = forms.CharField(required=False, max_length=200, label=_("Event"))
    timeout_hours = forms.FloatField(required=False, min_value=0.01, label=_("Give up after (hours)"))
    hour = forms.IntegerField(required=False, min_value=0, max_value=23, label=_("Hour of the day (customer's time)"))
    condition_kind = forms.ChoiceField(
        required=False,
        label=_("Branch on"),
        choices=[("trait", _("A trait")), ("stage", _("Still in a stage")), ("consent", _("Consents to messages"))],
    )
    condition_key = forms.CharField(required=False, max_length=200, label=_("Trait"))
    condition_op = forms.ChoiceField(required=False, choices=OPS, label=_("Test"))
    condition_value = forms.CharField(required=False, max_length=200, label=_("Value"))
    condition_stage = StageChoice(queryset=Stage.objects.none(), required=False, label=_("Stage"))
    touchpoint = TouchpointChoice(queryset=Touchpoint.objects.none(), required=False, label=_("Touchpoint"))
    title = forms.CharField(required=False, max_length=300, label=_("Task title"))
    survey = forms.IntegerField(required=False, min_value=1, widget=forms.Select, label=_("Survey"))
    via = forms.ChoiceField(
        required=False,
        label=_("Invite"),
        choices=[
            ("email", _("By email, with the survey's link")),
            ("widget", _("By making them eligible for the widget")),
        ],
    )
    cohort = forms.IntegerField(required=False, min_value=1, widget=forms.Select, label=_("Cohort"))
    key = forms.CharField(required=False, max_length=200, label=_("Trait"))
    value = forms.CharField(required=False, max_length=500, label=_("Value"))
    event_name = forms.CharField(required=False, max_length=100, label=_("Event name sent"))
    endpoint = forms.IntegerField(
        required=False,
        min_value=1,
        widget=forms.Select,
        label=_("Webhook endpoint"),
        help_text=_("Blank: every active endpoint of the team."),
    )

    def __init__(self, *args, automation: Automation, fixed_kind: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.step_kind = self._chosen_kind(fixed_kind)
        wanted = {"kind", *KIND_FIELDS[self.step_kind]}
        if fixed_kind:
            self.fields["kind"].disabled = True
            self.initial["kind"] = fixed_kind
        team = automation.team
        if "condition_stage" in wanted:
            self.fields["condition_stage"].queryset = (
                Stage.objects.filter(journey_map=automation.journey_map)
                .select_related("journey_map")
                .order_by("position")
            )
        if "touchpoint" in wanted:
            self.fields["touchpoint"].queryset = (
                Touchpoint.objects.filter(stage__journey_map=automation.journey_map)
                .select_related("stage__journey_map")
                .order_by("stage__position", "position")
            )
        if "survey" in wanted:
            from feedback.models import Survey

            self.fields["survey"].widget.choices = [("", "—")] + [
                (s.pk, str(s)) for s in Survey.objects.filter(team=team).order_by("pk")
            ]
        if "cohort" in wanted:
            from analytics.models import Cohort

            self.fields["cohort"].widget.choices = [("", "—")] + [
                (c.pk, c.name) for c in Cohort.objects.filter(team=team, kind="static").order_by("name")
            ]
        if "endpoint" in wanted:
            from webhooks.models import WebhookEndpoint

            self.fields["endpoint"].widget.choices = [("", "—")] + [
                (e.pk, e.url) for e in WebhookEndpoint.objects.filter(team=team).order_by("url", "pk")
            ]
        if "subject_en" in wanted:
            for code, name in EMAIL_LANGUAGES:
                self.fields[f"subject_{code}"] = forms.CharField(
                    required=False, max_length=200, label=_("Subject (%(language)s)") % {"language": name}
                )
                self.fields[f"body_{code}"] = forms.CharField(
                    required=False,
                    label=_("Text (%(language)s)") % {"language": name},
                    widget=forms.Textarea(attrs={"rows": 4}),
                )
        for name in list(self.fields):
            if name not in wanted:
                del self.fields[name]

    def _chosen_kind(self, fixed_kind: str | None) -> str:
        if fixed_kind:
            return fixed_kind
        if self.is_bound and self.data.get("kind") in KIND_FIELDS:
            return self.data["kind"]
        initial = self.initial.get("kind")
        return initial if initial in KIND_FIELDS else Step.Kind.EMAIL

    @property
    def config_field(self) -> str:
        """The input a service's error about the step's settings belongs next to."""
        return KIND_FIELDS[self.step_kind][0] if KIND_FIELDS[self.step_kind] else "kind"

    @classmethod
    def initial_for(cls, step: Step) -> dict:
        cfg = step.config or {}
        condition = cfg.get("condition") or {}
        initial = {
            "kind": step.kind,
            "hours": cfg.get("hours"),
            "event": cfg.get("event", ""),
            "timeout_hours": cfg.get("timeout_hours"),
            "hour": cfg.get("hour"),
            "condition_kind": condition.get("kind", "trait"),
            "condition_key": condition.get("key", ""),
            "condition_op": condition.get("op", "eq"),
            "condition_value": condition.get("value", ""),
            "condition_stage": condition.get("stage"),
            "touchpoint": cfg.get("touchpoint"),
            "title": cfg.get("title", ""),
            "survey": cfg.get("survey"),
            "via": cfg.get("via", "email"),
            "cohort": cfg.get("cohort"),
            "key": cfg.get("key", ""),
            "value": cfg.get("value", ""),
            "event_name": cfg.get("event_name", ""),
            "endpoint": cfg.get("endpoint"),
        }
        for code, template in (cfg.get("templates") or {}).items():
            initial[f"subject_{code}"] = template.get("subject", "")
            initial[f"body_{code}"] = template.get("body", "")
        return initial

    def config(self) -> dict:
        d = self.cleaned_data
        kind = self.step_kind
        if kind == "branch":
            ck = d.get("condition_kind") or "trait"
            if ck == "stage":
                condition = {"kind": "stage", "stage": d["condition_stage"].pk if d.get("condition_stage") else None}
            elif ck == "consent":
                condition = {"kind": "consent"}
            else:
                condition = {
                    "kind": "trait",
                    "key": d.get("condition_key", ""),
                    "op": d.get("condition_op") or "eq",
                    "value": d.get("condition_value", ""),
                }
            return {"condition": condition}
        templates = {
            code: {"subject": d.get(f"subject_{code}", ""), "body": d.get(f"body_{code}", "")}
            for code, _name in EMAIL_LANGUAGES
            if d.get(f"subject_{code}") or d.get(f"body_{code}")
        }
        return {
            "hours": d.get("hours"),
            "event": d.get("event"),
            "timeout_hours": d.get("timeout_hours"),
            "hour": d.get("hour"),
            "touchpoint": d["touchpoint"].pk if d.get("touchpoint") else None,
            "title": d.get("title", ""),
            "survey": d.get("survey"),
            "via": d.get("via") or "email",
            "cohort": d.get("cohort"),
            "key": d.get("key", ""),
            "value": d.get("value", ""),
            "event_name": d.get("event_name", ""),
            "endpoint": d.get("endpoint"),
            "templates": templates,
            "default_locale": next(iter(templates), "en"),
        }


class RespectForm(forms.Form):
    max_messages = forms.IntegerField(min_value=0, max_value=1000, label=_("Messages at most"))
    per_days = forms.IntegerField(min_value=1, max_value=90, label=_("In days"))
    quiet_start = forms.TimeField(label=_("Quiet hours start"), widget=forms.TimeInput(attrs={"type": "time"}))
    quiet_end = forms.TimeField(label=_("Quiet hours end"), widget=forms.TimeInput(attrs={"type": "time"}))


class StageCapForm(forms.Form):
    stage = forms.ModelChoiceField(queryset=Stage.objects.none(), label=_("Stage"))
    max_messages = forms.IntegerField(min_value=0, max_value=1000, label=_("Messages at most"))
    per_days = forms.IntegerField(min_value=1, max_value=90, label=_("In days"))

    def __init__(self, *args, team, **kwargs):
        # It shares the contact rules page with RespectForm, whose fields have the same names.
        kwargs.setdefault("auto_id", "cap_%s")
        super().__init__(*args, **kwargs)
        field = self.fields["stage"]
        field.queryset = (
            Stage.objects.filter(journey_map__team=team)
            .select_related("journey_map")
            .order_by("journey_map__title", "journey_map_id", "position", "id")
        )
        field.label_from_instance = lambda stage: f"{stage.journey_map.title} — {stage.name}"


LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]
