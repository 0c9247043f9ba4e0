from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import ApiKey, Role, Team


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name", "accent_color", "language"]
        widgets = {"accent_color": forms.TextInput(attrs={"type": "color"})}


class InviteForm(forms.Form):
    identifier = forms.CharField(label=_("Username or email"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.VIEWER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("What uses the key, e.g. “Data warehouse sync”.")
    )
    scope = forms.ChoiceField(label=_("Scope"), choices=ApiKey.Scope.choices, initial=ApiKey.Scope.READ)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language"), choices=[("", _("Automatic")), *settings.LANGUAGES], required=False
    )
