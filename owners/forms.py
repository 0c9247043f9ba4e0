"""Forms of the owners panel, hand-offs and playbooks. Choices are limited to the map's team."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from journeys.models import JourneyMap, Stage, Touchpoint

from .models import Handoff, Ownership, Playbook

User = get_user_model()


def team_members(team_id: int):
    return User.objects.filter(memberships__team_id=team_id).order_by("first_name", "last_name", "username")


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        name = obj.get_full_name()
        return f"{name} ({obj.get_username()})" if name else obj.get_username()


class HoursField(forms.DecimalField):
    """Hours as a number in the form, a timedelta in cleaned_data."""

    def __init__(self, *, min_hours: str = "0.25", **kwargs):
        kwargs.setdefault("max_digits", 7)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal(min_hours))
        kwargs.setdefault("max_value", Decimal("8760"))
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("step", "0.25")
        self.widget.attrs.setdefault("inputmode", "decimal")

    def prepare_value(self, value):
        if isinstance(value, timedelta):
            hours = Decimal(value.total_seconds()) / 3600
            return hours.quantize(Decimal("0.01")).normalize()
        return value

    def clean(self, value):
        hours = super().clean(value)
        return None if hours is None else timedelta(seconds=int(hours * 3600))


class TouchpointOwnerForm(forms.Form):
    """The accountable owner and SLA of one touchpoint, edited in a row of the owners panel."""

    accountable = MemberChoiceField(
        queryset=User.objects.none(), required=False, label=_("Accountable owner"), empty_label=_("— nobody —")
    )
    response_target = HoursField(required=False, label=_("SLA (hours)"), help_text=_("Leave empty for no SLA."))
    business_hours = forms.BooleanField(required=False, label=_("Count working hours only"))
    escalation_delay = HoursField(
        min_hours="0", initial=Decimal(24), label=_("Escalate after (hours)"), help_text=_("After a breach.")
    )

    def __init__(self, *args, team_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["accountable"].queryset = team_members(team_id)


class AddPersonForm(forms.Form):
    """Add a responsible or consulted person to a touchpoint."""

    user = MemberChoiceField(queryset=User.objects.none(), label=_("Person"))
    role = forms.ChoiceField(
        choices=[(Ownership.Role.RESPONSIBLE, _("Responsible")), (Ownership.Role.CONSULTED, _("Consulted"))],
        label=_("Role"),
    )

    def __init__(self, *args, team_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = team_members(team_id)


class OwnerFilterForm(forms.Form):
    q = forms.CharField(required=False, label=_("Search touchpoints"))
    unowned = forms.BooleanField(required=False, label=_("Unowned only"))


class HandoffForm(forms.ModelForm):
    response_target = HoursField(initial=Decimal(24), label=_("SLA (hours)"))
    escalation_delay = HoursField(min_hours="0", initial=Decimal(24), label=_("Escalate after (hours)"))

    class Meta:
        model = Handoff
        fields = [
            "from_touchpoint",
            "to_touchpoint",
            "from_owner",
            "to_owner",
            "response_target",
            "business_hours",
            "escalation_delay",
            "notes",
        ]
        labels = {
            "from_owner": _("From owner"),
            "to_owner": _("To owner"),
            "business_hours": _("Count working hours only"),
        }
        help_texts = {"from_owner": _("Empty: the touchpoint's accountable owner."), "to_owner": _("Empty: as above.")}
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, journey_map: JourneyMap, **kwargs):
        super().__init__(*args, **kwargs)
        touchpoints = Touchpoint.objects.filter(stage__journey_map=journey_map).select_related("stage")
        touchpoints = touchpoints.order_by("stage__position", "position", "id")
        for name in ("from_touchpoint", "to_touchpoint"):
            self.fields[name].queryset = touchpoints
            self.fields[name].label_from_instance = lambda t: f"{t.stage.name} · {t.name}"
        for name in ("from_owner", "to_owner"):
            self.fields[name] = MemberChoiceField(
                queryset=team_members(journey_map.team_id),
                required=False,
                label=self.fields[name].label,
                help_text=self.fields[name].help_text,
            )

    def _post_clean(self):
        # The service validates the hand-off as a whole (same map, members, durations).
        pass


class HandoffCaseForm(forms.Form):
    reference = forms.CharField(
        max_length=200, required=False, label=_("Case reference"), help_text=_("The ticket, order or case it concerns.")
    )


class PlaybookForm(forms.ModelForm):
    class Meta:
        model = Playbook
        fields = ["name", "trigger", "stage", "touchpoint", "owner", "steps"]
        labels = {
            "stage": _("Stage (optional)"),
            "touchpoint": _("Touchpoint (optional)"),
            "steps": _("Steps (Markdown)"),
        }
        help_texts = {
            "trigger": _("When does this branch start? e.g. “Trial user stuck at step 2 for 3 days”."),
            "steps": _("Markdown: lists, **bold**, links. Rendered safely."),
        }
        widgets = {"trigger": forms.Textarea(attrs={"rows": 2}), "steps": forms.Textarea(attrs={"rows": 12})}

    def __init__(self, *args, journey_map: JourneyMap, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = Stage.objects.filter(journey_map=journey_map).order_by("position", "id")
        tps = Touchpoint.objects.filter(stage__journey_map=journey_map).select_related("stage")
        self.fields["touchpoint"].queryset = tps.order_by("stage__position", "position", "id")
        self.fields["touchpoint"].label_from_instance = lambda t: f"{t.stage.name} · {t.name}"
        self.fields["owner"] = MemberChoiceField(
            queryset=team_members(journey_map.team_id), required=False, label=_("Owner")
        )

    def _post_clean(self):
        # Placement and ownership are checked by the service, with the map in hand.
        pass
