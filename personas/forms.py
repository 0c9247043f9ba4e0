from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import rules
from .filters import PersonaFilter
from .models import MULTILINE_HELP, Persona, Scenario

TEXTAREA = forms.Textarea(attrs={"rows": 3})


class PersonaForm(forms.ModelForm):
    """The persona's profile; ``revision`` is the one the form was drawn from (nothing is overwritten unseen)."""

    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Persona
        fields = [
            "name",
            "summary",
            "role",
            "market",
            "avatar_color",
            "photo",
            "jobs_to_be_done",
            "goals",
            "obstacles",
            "success_markers",
            "typical_deviations",
            "quotes",
        ]
        labels = {"avatar_color": _("Avatar colour")}
        widgets = {
            "avatar_color": forms.TextInput(attrs={"type": "color"}),
            "photo": forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
            "summary": forms.TextInput(),
            "jobs_to_be_done": TEXTAREA,
            "goals": TEXTAREA,
            "obstacles": TEXTAREA,
            "success_markers": TEXTAREA,
            "typical_deviations": TEXTAREA,
            "quotes": TEXTAREA,
        }

    IDENTITY = ("name", "summary", "role", "market", "avatar_color", "photo")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["revision"] = self.instance.revision
        for name in self.Meta.fields:
            if self.fields[name].help_text == MULTILINE_HELP:  # the fieldset's legend says it once
                self.fields[name].help_text = ""

    def _post_clean(self):
        # Uniqueness and the rest of the model's checks run in the service, inside its transaction.
        pass

    def identity_fields(self):
        return [self[name] for name in self.IDENTITY]

    def profile_fields(self):
        return [self[name] for name in self.Meta.fields if name not in self.IDENTITY]

    def service_fields(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields if name != "photo"}
        photo = self.cleaned_data.get("photo")
        if photo is False or photo:  # False: the "clear" box was ticked; a file: a new photo
            data["photo"] = photo
        return data


class ScenarioForm(forms.ModelForm):
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Scenario
        fields = ["name", "kind", "trigger", "goal", "expected_outcome", "success_markers"]
        widgets = {
            "name": forms.TextInput(attrs={"autofocus": True}),
            "trigger": forms.Textarea(attrs={"rows": 2}),
            "goal": forms.Textarea(attrs={"rows": 2}),
            "expected_outcome": forms.Textarea(attrs={"rows": 2}),
            "success_markers": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["revision"] = self.instance.revision
        # Several scenario forms can be on one page: keep their ids apart.
        self.auto_id = f"scenario-{self.instance.pk or 'new'}-%s"

    def _post_clean(self):
        pass

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class PersonaListFilter(PersonaFilter):
    """The list page's filters: the API's FilterSet, with the archived choice spelled out."""

    def __init__(self, data=None, *args, **kwargs):
        data = data.copy() if data is not None else {}
        if not data.get("archived"):
            data["archived"] = "false"  # the list shows active personas unless asked otherwise
        super().__init__(data, *args, **kwargs)
        self.form.fields["archived"].widget = forms.Select(
            choices=[("false", pgettext_lazy("personas", "Active")), ("true", pgettext_lazy("personas", "Archived"))],
            attrs={"aria-label": _("Status")},
        )
        self.form.fields["archived"].label = _("Status")
        self.form.fields["market"].label = _("Market")
        self.form.fields["search"].widget.attrs.update(
            {"type": "search", "placeholder": _("Name, role, goal…"), "autocomplete": "off"}
        )


class PersonaRulesForm(forms.Form):
    """The persona's priority among personas whose rules a customer meets; the conditions are a formset."""

    priority = forms.IntegerField(
        label=_("Priority"),
        min_value=0,
        max_value=32767,
        help_text=_("When a customer meets the rules of several personas, the lowest number wins."),
    )
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)


class TraitConditionForm(forms.Form):
    """One condition on a customer's traits: a row of the rules form. A row left empty is ignored."""

    trait = forms.CharField(
        label=_("Trait"),
        max_length=rules.MAX_TRAIT_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. plan"), "autocomplete": "off"}),
    )
    op = forms.ChoiceField(label=_("Operator"), choices=list(rules.OPERATORS.items()), initial="eq")
    value = forms.CharField(
        label=_("Value"),
        max_length=rules.MAX_VALUE_LENGTH * 4,
        required=False,
        help_text=_("For “is one of”, separate values with commas."),
        widget=forms.TextInput(attrs={"placeholder": _("e.g. team"), "autocomplete": "off"}),
    )

    condition: dict | None = None

    def clean(self):
        data = super().clean()
        if not (data.get("trait") or "").strip() and not (data.get("value") or "").strip():
            self.condition = None  # an empty row: ignored
            return data
        raw = {"trait": data.get("trait") or "", "op": data.get("op"), "value": data.get("value") or ""}
        try:
            self.condition = rules.clean_condition(raw)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return data

    @staticmethod
    def initial_for(condition: dict) -> dict:
        """Return a stored condition as the row's initial values (a list as "a, b")."""
        value = condition.get("value", "")
        text = ", ".join(map(_value_text, value)) if isinstance(value, list) else _value_text(value)
        return {"trait": condition.get("trait", ""), "op": condition.get("op", "eq"), "value": text}


def _value_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


TraitConditionFormSet = forms.formset_factory(
    TraitConditionForm, extra=0, max_num=rules.MAX_CONDITIONS, absolute_max=rules.MAX_CONDITIONS, validate_max=True
)
