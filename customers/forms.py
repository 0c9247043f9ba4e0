from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Source


class SourceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("The site, app or system that sends."))
    kind = forms.ChoiceField(label=_("Kind"), choices=Source.Kind.choices, initial=Source.Kind.WEB)
