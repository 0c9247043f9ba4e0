"""Forms of the review pages: recording a review with its action items, settings, list filters."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from experiments.models import Experiment
from journeys.models import JourneyMap, PainPoint, Touchpoint

from .models import ActionItem, Review, ReviewSettings
from .services import ActionItemInput


def member_queryset(team_id: int):
    return get_user_model().objects.filter(memberships__team_id=team_id).order_by("first_name", "username")


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class ReviewForm(forms.Form):
    """The review itself; its new action items come in ``ActionItemRowForm`` rows."""

    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate)
    kind = forms.ChoiceField(
        label=_("Kind of review"),
        choices=Review.Kind.choices,
        initial=Review.Kind.WEEKLY,
        help_text=_("Mark quarterly reviews and reviews after a pricing or packaging change."),
    )
    facilitator = PersonChoiceField(
        queryset=None, required=False, label=_("Facilitator"), empty_label=_("Nobody in particular")
    )
    attendees = PeopleChoiceField(
        queryset=None, required=False, label=_("Attendees"), widget=forms.CheckboxSelectMultiple
    )
    notes = forms.CharField(
        label=_("Notes"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=20_000,
        help_text=_("What the team discussed."),
    )
    decisions = forms.CharField(
        label=_("Decisions"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=20_000,
        help_text=_("What the team decided; one decision a line reads best."),
    )
    close_items = forms.ModelMultipleChoiceField(
        label=_("Done since the last review"),
        queryset=ActionItem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    map_version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, journey_map: JourneyMap, carried_over=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.journey_map = journey_map
        members = member_queryset(journey_map.team_id)
        self.fields["facilitator"].queryset = members
        self.fields["attendees"].queryset = members
        self.fields["close_items"].queryset = ActionItem.objects.filter(pk__in=[i.pk for i in carried_over])
        self.fields["close_items"].label_from_instance = lambda item: item.title

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise forms.ValidationError(_("A review cannot be recorded for a future date."))
        return date

    def clean_map_version(self):
        number = self.cleaned_data.get("map_version")
        if number is None:
            return None
        version = self.journey_map.versions.filter(pk=number).first()
        if version is None:
            raise forms.ValidationError(_("That version belongs to another map."))
        return version


def link_choices(journey_map: JourneyMap) -> list:
    """Return the "linked to" options of an action item: the map's touchpoints, pain points, experiments."""
    touchpoints = Touchpoint.objects.filter(stage__journey_map=journey_map).select_related("stage")
    pains = PainPoint.objects.filter(touchpoint__stage__journey_map=journey_map).exclude(status=PainPoint.Status.FIXED)
    experiments = Experiment.objects.filter(team_id=journey_map.team_id).exclude(
        status__in=[Experiment.Status.ARCHIVED]
    )
    return [
        ("", _("Nothing in particular")),
        (
            _("Touchpoints"),
            [(f"tp:{t.pk}", f"{t.stage.name} · {t.name}") for t in touchpoints.order_by("stage__position", "position")],
        ),
        (_("Open pain points"), [(f"pp:{p.pk}", p.title) for p in pains.order_by("-severity", "title")]),
        (_("Experiments"), [(f"ex:{e.pk}", e.title) for e in experiments.order_by("title")]),
    ]


class ActionItemRowForm(forms.Form):
    """One action item row of the review form (rows are added with HTMX)."""

    title = forms.CharField(max_length=300, required=False, label=_("Action item"))
    owner = PersonChoiceField(queryset=None, required=False, empty_label=_("No owner yet"))
    due_date = forms.DateField(required=False, label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}))
    link = forms.ChoiceField(required=False, label=_("Linked to"))

    def __init__(self, *args, journey_map: JourneyMap, links: list | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.journey_map = journey_map
        self.fields["owner"].queryset = member_queryset(journey_map.team_id)
        self.fields["link"].choices = links if links is not None else link_choices(journey_map)

    @property
    def is_blank(self) -> bool:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return not any(data.get(name) for name in ("title", "owner", "due_date", "link"))

    def clean(self):
        data = super().clean()
        if not data.get("title", "").strip() and any(data.get(n) for n in ("owner", "due_date", "link")):
            self.add_error("title", _("Give the action item a title, or clear the row."))
        return data

    def to_input(self) -> ActionItemInput:
        data = self.cleaned_data
        link = data.get("link") or ""
        kind, _, pk = link.partition(":")
        models = {"tp": ("touchpoint", Touchpoint), "pp": ("pain_point", PainPoint), "ex": ("experiment", Experiment)}
        linked = {}
        if kind in models:
            name, model = models[kind]
            linked[name] = model.objects.filter(pk=pk).first()
        return ActionItemInput(title=data["title"], owner=data.get("owner"), due_date=data.get("due_date"), **linked)


class ReviewSettingsForm(forms.ModelForm):
    class Meta:
        model = ReviewSettings
        fields = ["review_cadence_days", "digest_enabled", "digest_weekday", "digest_hour"]


class ReviewStatusFilter(forms.Form):
    """Filters of the review-status list of maps."""

    not_reviewed_since = forms.DateField(
        required=False,
        label=_("Not reviewed since"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("For a quarterly review or after a pricing change: maps nobody has reviewed since."),
    )
    due = forms.BooleanField(required=False, label=_("Due this week only"))


class ActionItemFilter(forms.Form):
    SHOW = [("open", _("Open")), ("overdue", _("Overdue")), ("done", _("Done")), ("all", _("All"))]
    show = forms.ChoiceField(choices=SHOW, required=False, initial="open")
    mine = forms.BooleanField(required=False, label=_("Only mine"))


def default_due_date(today: datetime.date | None = None) -> datetime.date:
    return (today or timezone.localdate()) + datetime.timedelta(days=7)
