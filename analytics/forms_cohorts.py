"""The form of a rule cohort: a name, all or any, and condition rows that become the API's rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from journeys.models import Stage

from .cohorts import MAX_CONDITIONS, TRAIT_OPS

# Rows shown on the page; a row whose type is blank is ignored.
CONDITION_ROWS = 5


class CohortRulesForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    match = forms.ChoiceField(
        label=_("Profiles that meet"),
        choices=[("all", _("all of the conditions")), ("any", _("any of the conditions"))],
        initial="all",
    )


class ConditionForm(forms.Form):
    type = forms.ChoiceField(
        label=_("Condition"),
        required=False,
        choices=[("", "—"), ("trait", _("Trait")), ("stage", _("In stage now")), ("event", _("Event"))],
    )
    key = forms.CharField(label=_("Trait"), required=False, max_length=100)
    op = forms.ChoiceField(
        label=_("Compare"),
        required=False,
        choices=[
            ("eq", _("is")),
            ("neq", _("is not")),
            ("in", _("is one of (comma-separated)")),
            ("contains", _("contains")),
            ("exists", _("is set")),
        ],
    )
    value = forms.CharField(label=_("Value"), required=False, max_length=500)
    stage = forms.ModelChoiceField(label=_("Stage"), required=False, queryset=Stage.objects.none())
    event = forms.CharField(label=_("Event"), required=False, max_length=200)
    done = forms.ChoiceField(
        label=_("Done"), required=False, choices=[("yes", _("did")), ("no", _("did not do"))], initial="yes"
    )
    days = forms.IntegerField(label=_("In the last (days)"), required=False, min_value=1, max_value=3660, initial=30)

    def __init__(self, *args, team=None, **kwargs):
        super().__init__(*args, **kwargs)
        stages = (
            Stage.objects.for_team(team).select_related("journey_map") if team is not None else Stage.objects.none()
        )
        self.fields["stage"].queryset = stages.order_by("journey_map__title", "position", "id")
        self.fields["stage"].label_from_instance = lambda stage: f"{stage.journey_map.title} · {stage.name}"

    def clean(self):
        data = super().clean()
        kind = data.get("type")
        if kind == "trait":
            if not data.get("key"):
                self.add_error("key", _("Name the trait."))
            if data.get("op") not in TRAIT_OPS:
                data["op"] = "eq"
        elif kind == "stage" and not data.get("stage"):
            self.add_error("stage", _("Choose a stage."))
        elif kind == "event" and not (data.get("event") or "").strip():
            self.add_error("event", _("Name the event."))
        return data

    def condition(self) -> dict | None:
        """Return the row as a rule condition (the API's shape), or None for an empty row."""
        data = self.cleaned_data
        kind = data.get("type")
        if kind == "trait":
            value = data.get("value", "")
            if data["op"] == "in":
                value = [part.strip() for part in value.split(",") if part.strip()]
            return {"type": "trait", "key": data["key"], "op": data["op"], "value": value}
        if kind == "stage":
            return {"type": "stage", "stage": data["stage"].pk}
        if kind == "event":
            return {
                "type": "event",
                "event": data["event"].strip(),
                "done": data.get("done") != "no",
                "days": data.get("days") or 30,
            }
        return None


class BaseConditionFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        if not any(form.cleaned_data.get("type") for form in self.forms):
            raise forms.ValidationError(_("Add at least one condition."))


ConditionFormSet = forms.formset_factory(
    ConditionForm,
    formset=BaseConditionFormSet,
    extra=CONDITION_ROWS,
    max_num=MAX_CONDITIONS,
    validate_max=True,
)


def rules_from(form: CohortRulesForm, conditions) -> dict:
    """Return the rules the two validated forms describe (checked again by ``cohorts.validate_rules``)."""
    rows = [row.condition() for row in conditions.forms]
    return {"match": form.cleaned_data["match"], "conditions": [row for row in rows if row]}
