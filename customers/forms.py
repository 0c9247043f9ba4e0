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
