"""The query forms of the retention, lifecycle and moments pages and API: each builds its query object."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from journeys.models import Stage, Touchpoint

from .lifecycle import LifecycleQuery
from .moments import MomentQuery
from .query import MAX_PERIODS, PERIOD_CHOICES, period_index, period_start, team_zone
from .retention import COHORT_FIRST_SEEN, COHORT_STAGE, RetentionQuery

# Defaults: the last twelve weeks, ending with the current one.
DEFAULT_WEEKS = 12


class _Window(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    event = forms.CharField(
        label=_("Event"),
        required=False,
        max_length=200,
        help_text=_("An event or page name; blank: any track, page or screen call."),
    )

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = team

    def today(self) -> dt.date:
        return timezone.localtime(timezone.now(), team_zone(self.team)).date()

    def clean(self):
        data = super().clean()
        today = self.today()
        data["end"] = data.get("end") or today
        data["start"] = data.get("start") or data["end"] - dt.timedelta(weeks=DEFAULT_WEEKS - 1)
        if data["end"] < data["start"]:
            self.add_error("end", _("The window cannot end before it starts."))
            return data
        period = data.get("period") or "week"
        if period_index(period_start(data["start"], period), period_start(data["end"], period), period) >= MAX_PERIODS:
            self.add_error("start", _("Choose at most %(count)s periods.") % {"count": MAX_PERIODS})
        return data


class RetentionForm(_Window):
    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, initial="week", required=False)
    cohort_by = forms.ChoiceField(
        label=_("Cohorts by"),
        choices=[(COHORT_FIRST_SEEN, _("First seen")), (COHORT_STAGE, _("Entry into a stage"))],
        required=False,
    )
    stage = forms.ModelChoiceField(label=_("Stage"), queryset=Stage.objects.none(), required=False)
    periods = forms.IntegerField(label=_("Periods after"), min_value=1, max_value=24, required=False)

    field_order = ["cohort_by", "stage", "event", "period", "start", "end", "periods"]

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, team=team, **kwargs)
        self.fields["stage"].queryset = Stage.objects.for_team(team).select_related("journey_map")
        self.fields["stage"].label_from_instance = lambda s: f"{s.journey_map.title} · {s.name}"

    def clean(self):
        data = super().clean()
        if data.get("cohort_by") == COHORT_STAGE and not data.get("stage"):
            self.add_error("stage", _("Choose the stage whose entry makes the cohorts."))
        return data

    def query(self) -> RetentionQuery:
        data = self.cleaned_data
        return RetentionQuery(
            team=self.team,
            start=data["start"],
            end=data["end"],
            period=data.get("period") or "week",
            event=data.get("event") or "",
            cohort_by=data.get("cohort_by") or COHORT_FIRST_SEEN,
            stage=data.get("stage"),
            periods=data.get("periods") or 8,
        )


class LifecycleForm(_Window):
    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, initial="week", required=False)

    field_order = ["event", "period", "start", "end"]

    def query(self) -> LifecycleQuery:
        data = self.cleaned_data
        return LifecycleQuery(
            team=self.team,
            start=data["start"],
            end=data["end"],
            period=data.get("period") or "week",
            event=data.get("event") or "",
        )


class MomentForm(_Window):
    moment = forms.ModelChoiceField(
        label=_("Moment that matters"),
        queryset=Touchpoint.objects.none(),
        required=False,
        help_text=_("Measured on its touchpoint's tracking rules; or give an event name."),
    )
    window_days = forms.IntegerField(label=_("Within (days)"), min_value=1, max_value=90, required=False)

    field_order = ["moment", "event", "window_days", "start", "end"]

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, team=team, **kwargs)
        self.fields["moment"].queryset = Touchpoint.objects.for_team(team).filter(is_moment=True)
        self.fields["moment"].label_from_instance = lambda t: f"{t.stage.journey_map.title} · {t.name}"

    def clean(self):
        data = super().clean()
        if not data.get("moment") and not data.get("event"):
            self.add_error("moment", _("Choose a moment or give an event name."))
        return data

    def query(self) -> MomentQuery:
        data = self.cleaned_data
        return MomentQuery(
            team=self.team,
            start=data["start"],
            end=data["end"],
            touchpoint=data.get("moment"),
            event=data.get("event") or "",
            window_days=data.get("window_days") or 7,
        )
