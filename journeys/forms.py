"""Forms of the map pages. Every form that changes a map carries the revision it was read at."""

from __future__ import annotations

import json

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from personas.models import Persona, Scenario

from .models import Channel, Emotion, JourneyMap, Lane, MapTemplate, MapVersion, PainPoint, Stage, Touchpoint
from .models.maps import EMOTION_SCORE


class RevisionForm(forms.Form):
    """The map revision a change is based on; a stale one is a conflict (nothing is overwritten)."""

    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class RevisionModelForm(forms.ModelForm):
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def changed_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class MapForm(RevisionModelForm):
    class Meta:
        model = JourneyMap
        fields = ["title", "description", "product", "persona", "scenario", "status"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, team=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["persona"].queryset = Persona.objects.for_team(team).active() if team else Persona.objects.none()
        self.fields["scenario"].queryset = (
            Scenario.objects.for_team(team).select_related("persona") if team else Scenario.objects.none()
        )
        self.fields["title"].help_text = _("e.g. “First order on mobile”.")


class MapCreateForm(MapForm):
    class Meta(MapForm.Meta):
        fields = ["title", "description", "product", "persona", "scenario"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["revision"]


class StageForm(RevisionModelForm):
    class Meta:
        model = Stage
        fields = ["name", "description", "funnel"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        labels = {"funnel": _("Funnel part")}


EMOTION_CHOICES = [(e.value, format_lazy("{} ({:+d})", e.label, EMOTION_SCORE[e])) for e in Emotion]


class TouchpointForm(RevisionModelForm):
    emotion_label = forms.ChoiceField(label=_("How the customer feels"), choices=EMOTION_CHOICES, initial="neutral")

    class Meta:
        model = Touchpoint
        fields = [
            "name",
            "channel",
            "emotion_label",
            "description",
            "is_moment",
            "moment_kind",
            "metric_name",
            "evidence_source",
            "evidence_verified_at",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "evidence_verified_at": forms.DateInput(attrs={"type": "date"}),
        }
        labels = {
            "metric_name": _("Metric"),
            "evidence_source": _("Evidence"),
            "evidence_verified_at": _("Evidence verified on"),
        }
        help_texts = {"metric_name": _("The one clear metric of a moment that matters, e.g. “Checkout conversion”.")}

    def clean(self):
        data = super().clean()
        if data.get("is_moment") and not data.get("moment_kind"):
            self.add_error("moment_kind", gettext("Say what kind of moment this is."))
        return data


class PainPointForm(RevisionModelForm):
    class Meta:
        model = PainPoint
        fields = ["title", "severity", "status", "description", "evidence_source", "evidence_verified_at"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "severity": forms.Select(
                choices=[
                    (i, format_lazy("{} – {}", i, label))
                    for i, label in enumerate(
                        ["", _("minor"), _("noticeable"), _("painful"), _("severe"), _("blocking")]
                    )
                    if i
                ]
            ),
            "evidence_verified_at": forms.DateInput(attrs={"type": "date"}),
        }
        labels = {"evidence_source": _("Evidence"), "evidence_verified_at": _("Evidence verified on")}


class PublishForm(RevisionForm):
    note = forms.CharField(
        label=_("What changed and why"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown in the version list, e.g. “Delivery times shown on the product page”."),
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Map document (.json)"), help_text=_("An export or a version snapshot of a Waymark map.")
    )
    title = forms.CharField(
        label=_("Title of the new map"), required=False, help_text=_("Leave empty to keep the document's.")
    )

    MAX_BYTES = 5 * 1024 * 1024

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(gettext("The file is larger than 5 MB."))
        try:
            return json.loads(upload.read().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise forms.ValidationError(gettext("This is not a JSON file: %(error)s.") % {"error": exc}) from None


class MoveForm(RevisionForm):
    """Where a dragged or keyboard-moved element goes."""

    direction = forms.ChoiceField(choices=[(d, d) for d in ("up", "down", "left", "right")], required=False)
    stage = forms.IntegerField(required=False)
    position = forms.IntegerField(required=False, min_value=0)


class InlineEditForm(RevisionForm):
    """One field of a stage or a touchpoint changed in place on the board (its name, or a touchpoint's emotion)."""

    field = forms.ChoiceField(choices=[("name", "name"), ("emotion_label", "emotion_label")])
    value = forms.CharField(max_length=200, required=False)


CHANNEL_CHOICES = [("", _("All channels")), *Channel.choices]


class TemplateUseForm(forms.Form):
    """Start a map from a built-in template (its key) or one of the team's templates."""

    starter = forms.CharField(required=False, widget=forms.HiddenInput)
    template = forms.ModelChoiceField(queryset=MapTemplate.objects.none(), required=False, widget=forms.HiddenInput)
    title = forms.CharField(
        label=_("Title of the new map"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the template's name."),
    )

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = MapTemplate.objects.for_team(team)

    def clean(self):
        data = super().clean()
        if bool(data.get("starter")) == bool(data.get("template")):
            raise forms.ValidationError(gettext("Choose one template."))
        return data


class TemplateSaveForm(forms.Form):
    name = forms.CharField(label=_("Template name"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ShareLinkForm(forms.Form):
    """A new read-only link: for whom, how long, and the draft or one version."""

    DAYS = [(1, _("1 day")), (7, _("7 days")), (30, _("30 days")), (90, _("90 days"))]

    label = forms.CharField(label=_("For"), max_length=120, required=False, help_text=_("E.g. the board, a partner."))
    expires_in_days = forms.TypedChoiceField(label=_("Expires after"), choices=DAYS, coerce=int, initial=30)
    version = forms.ModelChoiceField(
        label=_("Shows"),
        queryset=MapVersion.objects.none(),
        required=False,
        empty_label=_("The draft, as it is when opened"),
    )

    def __init__(self, *args, journey_map, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = MapVersion.objects.filter(journey_map=journey_map).defer("snapshot")
        self.fields["version"].label_from_instance = lambda v: gettext("Version %(n)s") % {"n": v.number}


class LaneForm(RevisionForm):
    """A swimlane's kind and title (the kind's name when empty)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Lane.Kind.choices)
    title = forms.CharField(
        label=_("Title"), max_length=120, required=False, help_text=_("Leave empty to use the kind's name.")
    )


class LaneCellForm(RevisionForm):
    """What a text lane says under one stage: one entry per line."""

    text = forms.CharField(
        label=_("Text"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
        help_text=_("One entry per line. Empty removes the cell."),
    )
