from django import forms
from django.utils.translation import gettext_lazy as _

from .models import BODY_LIMIT


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"),
        max_length=BODY_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
        help_text=_("Mention a teammate with @username: they are notified."),
    )


class ThreadForm(CommentForm):
    """A new thread: what it is about (the part, one of its pain points or versions) and its first comment."""

    about = forms.ChoiceField(label=_("About"))

    field_order = ["about", "body"]

    def __init__(self, *args, about: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["about"].choices = about
        if len(about) == 1:
            self.fields["about"].widget = forms.HiddenInput()
            self.fields["about"].initial = about[0][0]
