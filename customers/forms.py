from django import forms
from django.utils.translation import gettext_lazy as _

from .models import PrivacySettings, Source


class SourceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("The site, app or system that sends."))
    kind = forms.ChoiceField(label=_("Kind"), choices=Source.Kind.choices, initial=Source.Kind.WEB)


class PrivacySettingsForm(forms.ModelForm):
    class Meta:
        model = PrivacySettings
        fields = ["store_full_ip", "consent_category", "retention_days"]
        widgets = {"consent_category": forms.TextInput(attrs={"placeholder": _("e.g. Analytics")})}


class ErasureForm(forms.Form):
    user_id = forms.CharField(
        label=_("User id"),
        max_length=255,
        help_text=_("The person's user id (or an anonymous id of theirs), exactly as the sources send it."),
    )


class UnmappedAddForm(forms.Form):
    """Add an unmapped event name or page path to a map as a touchpoint (``services.touchpoint_from_event``)."""

    stage = forms.ModelChoiceField(label=_("Stage"), queryset=None, empty_label=None)
    event_type = forms.ChoiceField(choices=[("track", "track"), ("page", "page")], widget=forms.HiddenInput)
    event_name = forms.CharField(max_length=200, required=False, widget=forms.HiddenInput)
    path = forms.CharField(max_length=300, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, journey_map, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = journey_map.stages.order_by("position", "id")
