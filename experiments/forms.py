"""Forms of the experiment log; they parse input, the services decide."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from analytics.models import Cohort
from feedback.models import Survey
from journeys.models import JourneyMap, MapVersion, PainPoint, Stage, Touchpoint

from .models import Experiment, Metric

DATE = forms.DateInput(attrs={"type": "date"})


def _label_stage(stage: Stage) -> str:
    return f"{stage.journey_map.title} › {stage.name}"


def _label_touchpoint(tp: Touchpoint) -> str:
    return f"{tp.stage.journey_map.title} › {tp.stage.name} › {tp.name}"


def _label_pain(pp: PainPoint) -> str:
    return gettext("%(touchpoint)s: %(title)s (severity %(severity)s)") % {
        "touchpoint": pp.touchpoint.name,
        "title": pp.title,
        "severity": pp.severity,
    }


class JourneyPlaceMixin:
    """Limit the journey pickers to the team's maps and label them with their path."""

    def limit_place(self, team) -> None:
        fields = self.fields
        fields["journey_map"].queryset = JourneyMap.objects.for_team(team)
        fields["stage"].queryset = Stage.objects.for_team(team).select_related("journey_map")
        fields["stage"].label_from_instance = _label_stage
        fields["touchpoint"].queryset = Touchpoint.objects.for_team(team).select_related("stage__journey_map")
        fields["touchpoint"].label_from_instance = _label_touchpoint
        if "pain_point" in fields:
            fields["pain_point"].queryset = PainPoint.objects.for_team(team).select_related("touchpoint")
            fields["pain_point"].label_from_instance = _label_pain


class MetricForm(JourneyPlaceMixin, forms.ModelForm):
    class Meta:
        model = Metric
        fields = [
            "name",
            "key",
            "kind",
            "unit",
            "better",
            "description",
            "journey_map",
            "stage",
            "touchpoint",
            "survey",
            "behaviour",
            "event_name",
            "window_days",
            "segment_trait",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        labels = {"journey_map": _("Map"), "survey": _("NPS survey")}

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_place(team)
        self.fields["survey"].queryset = Survey.objects.for_team(team).filter(kind=Survey.Kind.NPS)
        self.fields["key"].help_text = _(
            "Lower-case words joined by hyphens, e.g. activation-rate. Integrations use it."
        )
        # Only behavioural metrics use the window: other forms may leave it out (the default, 7 days).
        self.fields["window_days"].required = False

    def clean_window_days(self):
        return self.cleaned_data.get("window_days") or Metric._meta.get_field("window_days").default

    def validate_unique(self):
        """The service checks the key's uniqueness in the team and names the field."""


class ExperimentForm(JourneyPlaceMixin, forms.ModelForm):
    tags_text = forms.CharField(
        label=_("Tags"), required=False, help_text=_("Comma-separated, e.g. onboarding, activation."), max_length=400
    )
    deviation_reason = forms.CharField(
        label=_("Deviation: why change the pre-registration?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "The experiment is running: changes to the hypothesis, metrics, design or windows are recorded "
            "as a visible deviation with this reason."
        ),
    )
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Experiment
        fields = [
            "title",
            "change",
            "primary_metric",
            "expected_direction",
            "expected_effect",
            "expected_effect_unit",
            "rationale",
            "guardrail_metrics",
            "population",
            "design",
            "control_segment",
            "treatment_segment",
            "planned_split",
            "baseline_start",
            "baseline_end",
            "test_start",
            "test_end",
            "significance_level",
            "journey_map",
            "stage",
            "touchpoint",
            "pain_point",
            "owner",
        ]
        widgets = {
            "change": forms.Textarea(attrs={"rows": 2, "placeholder": _("Cut onboarding from 4 steps to 3")}),
            "rationale": forms.Textarea(attrs={"rows": 2, "placeholder": _("step 3 is where most people give up")}),
            "baseline_start": DATE,
            "baseline_end": DATE,
            "test_start": DATE,
            "test_end": DATE,
            "guardrail_metrics": forms.SelectMultiple(attrs={"size": 4}),
        }
        labels = {
            "change": _("If we… (the change)"),
            "primary_metric": _("…then this metric"),
            "expected_direction": _("moves"),
            "expected_effect": _("by"),
            "expected_effect_unit": _("measured"),
            "rationale": _("…because"),
            "journey_map": _("Map"),
            "baseline_start": _("Before window starts"),
            "baseline_end": _("Before window ends"),
            "test_start": _("Test window starts"),
            "test_end": _("Test window ends"),
            "significance_level": _("Significance level (α)"),
            "planned_split": _("Treatment share"),
        }

    def __init__(self, *args, team, frozen: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_place(team)
        metrics = Metric.objects.for_team(team)
        self.fields["primary_metric"].queryset = metrics
        self.fields["guardrail_metrics"].queryset = metrics
        self.fields["guardrail_metrics"].required = False
        self.fields["population"].queryset = Cohort.objects.for_team(team).order_by("name")
        self.fields["owner"].queryset = get_user_model().objects.filter(memberships__team=team).order_by("username")
        self.fields["change"].required = True
        if self.instance.pk:
            self.fields["tags_text"].initial = ", ".join(t.name for t in self.instance.tags.all())
            self.fields["revision"].initial = self.instance.revision
        if not frozen:
            del self.fields["deviation_reason"]

    def service_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("tags_text", "deviation_reason", "revision")}
        data["guardrail_metrics"] = list(data.get("guardrail_metrics") or [])
        data["tags"] = [t for t in self.cleaned_data.get("tags_text", "").split(",") if t.strip()]
        return data


class TransitionForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Experiment.Status.choices)


class ConcludeForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=[("", _("Choose…")), *Experiment.Decision.choices])
    learning = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label=_("Learning"),
        help_text=_("What should a newcomer know about why the map is like this?"),
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=[("", _("As computed from the primary metric")), *Experiment.Outcome.choices],
        help_text=_("Override only with a reason in the learning."),
    )
    map_version = forms.ModelChoiceField(
        queryset=MapVersion.objects.none(), required=False, label=_("Map version that carried the change")
    )

    def __init__(self, *args, experiment: Experiment, **kwargs):
        super().__init__(*args, **kwargs)
        versions = MapVersion.objects.for_team(experiment.team_id).select_related("journey_map")
        if experiment.journey_map_id:
            versions = versions.filter(journey_map_id=experiment.journey_map_id)
        self.fields["map_version"].queryset = versions
        self.fields["map_version"].label_from_instance = lambda v: f"{v.journey_map.title} v{v.number} {v.note[:40]}"


class ObservationForm(forms.Form):
    period_start = forms.DateField(label=_("Period start"), widget=DATE)
    period_end = forms.DateField(label=_("Period end"), widget=DATE)
    segment = forms.CharField(
        label=_("Segment"), required=False, max_length=60, help_text=_("control, treatment, or blank for all.")
    )
    value = forms.FloatField(label=_("Value"), required=False)
    sample_size = forms.IntegerField(label=_("Sample size"), required=False, min_value=0)
    successes = forms.IntegerField(label=_("Successes"), required=False, min_value=0)
    mean = forms.FloatField(label=_("Mean"), required=False)
    sd = forms.FloatField(required=False, min_value=0, label=_("Standard deviation"))
    promoters = forms.IntegerField(label=_("Promoters"), required=False, min_value=0)
    detractors = forms.IntegerField(label=_("Detractors"), required=False, min_value=0)


class SurveyComputeForm(forms.Form):
    start = forms.DateField(widget=DATE, label=_("From"))
    end = forms.DateField(widget=DATE, label=_("To"))


CSV_COLUMNS = [
    "period_start",
    "period_end",
    "segment",
    "value",
    "sample_size",
    "successes",
    "mean",
    "sd",
    "promoters",
    "detractors",
]
MAX_CSV_BYTES = 2 * 1024 * 1024
MAX_CSV_ROWS = 5000


class CsvImportForm(forms.Form):
    file = forms.FileField(
        required=False,
        label=_("CSV file"),
        help_text=_(
            "Columns: period_start, period_end (YYYY-MM-DD), segment, value, sample_size, successes, mean, "
            "sd, promoters, detractors. Only the ones your metric needs."
        ),
    )
    text = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is not None:
            if upload.size > MAX_CSV_BYTES:
                raise forms.ValidationError({"file": gettext("Keep the file under 2 MB.")})
            try:
                cleaned["text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise forms.ValidationError({"file": gettext("Save the file as UTF-8 CSV.")}) from exc
        if not cleaned.get("text"):
            raise forms.ValidationError({"file": gettext("Choose a CSV file.")})
        return cleaned


def parse_csv(text: str) -> tuple[list[dict], list[str]]:
    """Return the CSV's rows as typed dicts with their own ``errors``, and file-level errors."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not header:
        return [], [gettext("The file is empty.")]
    missing = [c for c in ("period_start", "period_end") if c not in header]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    problems = []
    if missing:
        problems.append(gettext("Missing column(s): %(columns)s.") % {"columns": ", ".join(missing)})
    if unknown:
        problems.append(
            gettext("Unknown column(s): %(columns)s. Use: %(known)s.")
            % {"columns": ", ".join(unknown), "known": ", ".join(CSV_COLUMNS)}
        )
    if problems:
        return [], problems
    reader.fieldnames = header
    rows = []
    for line, raw in enumerate(reader, start=2):
        if len(rows) >= MAX_CSV_ROWS:
            return rows, [gettext("Import at most %(count)s rows at once.") % {"count": MAX_CSV_ROWS}]
        cells = {k: (v or "").strip() for k, v in raw.items() if k}
        row: dict = {
            "line": line,
            "errors": {},
            "period_text": f"{cells.get('period_start', '')} – {cells.get('period_end', '')}",
            "n_text": cells.get("sample_size", ""),
            "value_text": cells.get("value", ""),
            "detail": " / ".join(
                cells[c] for c in ("successes", "promoters", "detractors", "mean", "sd") if cells.get(c)
            ),
        }
        for column in CSV_COLUMNS:
            value = cells.get(column, "")
            if column in ("period_start", "period_end"):
                try:
                    row[column] = dt.date.fromisoformat(value) if value else None
                except ValueError:
                    row["errors"][column] = gettext("Use the date format YYYY-MM-DD.")
            elif column == "segment":
                row[column] = value
            elif value == "":
                row[column] = None
            else:
                try:
                    number = float(value)
                except ValueError:
                    row["errors"][column] = gettext("Give a number.")
                    continue
                if column in ("sample_size", "successes", "promoters", "detractors"):
                    row[column] = int(number) if number.is_integer() else number
                else:
                    row[column] = number
        rows.append(row)
    if not rows:
        return [], [gettext("The file has a header but no rows.")]
    return rows, []
