"""Forms of the survey builder, follow-ups and themes. They parse input; services validate and write."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from analytics.models import Cohort
from journeys.models import Touchpoint

from .models import Question, Survey, Theme

LANG_SPLIT = re.compile(r"[\s,;]+")
LANGUAGE_NAMES = {
    "en": _("English"),
    "zh": _("Chinese"),
    "lv": _("Latvian"),
    "bg": _("Bulgarian"),
    "ar": _("Arabic"),
    "he": _("Hebrew"),
    "de": _("German"),
    "fr": _("French"),
    "es": _("Spanish"),
    "ru": _("Russian"),
    "lt": _("Lithuanian"),
    "et": _("Estonian"),
}


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code.split("-")[0], code)


def parse_languages(value: str, default: str) -> list[str]:
    languages = [default] + [code.strip() for code in LANG_SPLIT.split(value or "") if code.strip()]
    seen = []
    for code in languages:
        if code not in seen:
            seen.append(code)
    return seen[:12]


def survey_languages(survey: Survey | None) -> list[str]:
    if survey is None:
        return ["en"]
    codes = {survey.default_locale, *survey.title, *survey.thank_you}
    for question in survey.questions.all():
        codes |= set(question.text)
    return [survey.default_locale, *sorted(codes - {survey.default_locale})]


class TouchpointChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Touchpoint) -> str:
        return f"{obj.stage.journey_map.title} › {obj.stage.name} › {obj.name}"


class SurveyForm(forms.Form):
    """The survey's settings, with its title and thank-you text in every language it speaks."""

    name = forms.CharField(max_length=200, label=_("Name"), help_text=_("For your team; respondents see the title."))
    kind = forms.ChoiceField(
        label=_("Kind"), choices=Survey.Kind.choices, help_text=_("Sets the starter questions and the score it feeds.")
    )
    touchpoint = TouchpointChoiceField(
        queryset=Touchpoint.objects.none(),
        required=False,
        label=_("Touchpoint"),
        empty_label=_("— the whole team (no touchpoint) —"),
        help_text=_("Answers land on this touchpoint of the map."),
    )
    audience = forms.ModelChoiceField(
        queryset=Cohort.objects.none(),
        required=False,
        label=_("Audience"),
        empty_label=_("— everyone —"),
        help_text=_("Only the profiles in this cohort are asked (identified respondents only)."),
    )
    default_locale = forms.CharField(max_length=10, initial="en", label=_("Default language"), help_text=_("e.g. en"))
    languages = forms.CharField(
        max_length=120,
        required=False,
        label=_("Other languages"),
        help_text=_("Codes, e.g. zh, lv, bg (ar and he render right-to-left). Save to add their fields."),
    )
    allowed_origins = forms.CharField(
        label=_("Sites that may embed"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Sites that may embed the widget, one a line, e.g. https://shop.example.com."),
    )
    recontact_days = forms.IntegerField(
        min_value=0,
        max_value=3650,
        initial=30,
        label=_("Recontact after (days)"),
        help_text=_("An identified respondent sees the survey at most once in this many days."),
    )
    followup_threshold = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=11,
        label=_("Follow-up under score"),
        help_text=_("An answer under this score opens a follow-up for the touchpoint's owner (NPS default 7)."),
    )

    def __init__(self, *args, team, survey: Survey | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.survey = survey
        self.fields["touchpoint"].queryset = (
            Touchpoint.objects.filter(stage__journey_map__team=team)
            .select_related("stage__journey_map")
            .order_by("stage__journey_map__title", "stage__position", "position")
        )
        self.fields["audience"].queryset = Cohort.objects.for_team(team).order_by("name")
        if survey is not None:
            self.fields["kind"].disabled = True
            languages = survey_languages(survey)
            self.initial.update(
                name=survey.name,
                kind=survey.kind,
                touchpoint=survey.touchpoint_id,
                audience=survey.audience_id,
                default_locale=survey.default_locale,
                languages=", ".join(languages[1:]),
                allowed_origins="\n".join(survey.allowed_origins),
                recontact_days=survey.recontact_days,
                followup_threshold=survey.followup_threshold,
            )
        else:
            languages = ["en"]
        if self.is_bound:
            languages = parse_languages(self.data.get("languages", ""), self.data.get("default_locale") or "en")
        self.languages = languages
        for code in languages:
            rtl = code.split("-")[0] in ("ar", "he", "fa", "ur")
            attrs = {"lang": code, "dir": "rtl" if rtl else "ltr"}
            self.fields[f"title_{code}"] = forms.CharField(
                required=False,
                max_length=1000,
                label=_("Title (%(language)s)") % {"language": language_name(code)},
                widget=forms.TextInput(attrs=attrs),
            )
            self.fields[f"thank_you_{code}"] = forms.CharField(
                required=False,
                max_length=1000,
                label=_("Thank-you text (%(language)s)") % {"language": language_name(code)},
                widget=forms.TextInput(attrs=attrs),
            )
            if survey is not None:
                self.initial[f"title_{code}"] = survey.title.get(code, "")
                self.initial[f"thank_you_{code}"] = survey.thank_you.get(code, "")

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        out = {
            "name": data["name"],
            "touchpoint": data["touchpoint"],
            "audience": data["audience"],
            "default_locale": data["default_locale"].strip(),
            "allowed_origins": data["allowed_origins"],
            "recontact_days": data["recontact_days"],
            "followup_threshold": data["followup_threshold"],
            "title": {code: data.get(f"title_{code}", "") for code in self.languages},
            "thank_you": {code: data.get(f"thank_you_{code}", "") for code in self.languages},
        }
        if self.survey is None:
            out["kind"] = data["kind"]
            if out["followup_threshold"] is None:
                del out["followup_threshold"]  # the kind's default (NPS: under 7, detractors)
        return out


class QuestionForm(forms.Form):
    """One question: its kind, key, flags and its text (and choice labels) in every language."""

    kind = forms.ChoiceField(choices=Question.Kind.choices, label=_("Kind"))
    key = forms.CharField(max_length=40, label=_("Key"), help_text=_("Stable name of the answer, e.g. “comment”."))
    required = forms.BooleanField(required=False, label=_("Required"))
    is_primary = forms.BooleanField(required=False, label=_("Primary score (feeds NPS / CSAT / CES)"))
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Choice questions: one a line, “value: label” in the default language."),
    )

    def __init__(self, *args, survey: Survey, languages: list[str], question: Question | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.survey, self.languages, self.question = survey, languages, question
        default = survey.default_locale
        for code in languages:
            rtl = code.split("-")[0] in ("ar", "he", "fa", "ur")
            attrs = {"lang": code, "dir": "rtl" if rtl else "ltr"}
            self.fields[f"text_{code}"] = forms.CharField(
                required=False,
                max_length=1000,
                label=_("Question (%(language)s)") % {"language": language_name(code)},
                widget=forms.TextInput(attrs=attrs),
            )
            if code != default:
                attrs = {**attrs, "rows": 2}
                self.fields[f"labels_{code}"] = forms.CharField(
                    required=False,
                    label=_("Choice labels (%(language)s)") % {"language": language_name(code)},
                    widget=forms.Textarea(attrs=attrs),
                    help_text=_("Choice questions: one label a line, in the same order."),
                )
        if question is not None:
            self.initial.update(
                kind=question.kind, key=question.key, required=question.required, is_primary=question.is_primary
            )
            self.initial["choices"] = "\n".join(
                f"{c['value']}: {c['label'].get(default, c['value'])}" for c in question.choices
            )
            for code in languages:
                self.initial[f"text_{code}"] = question.text.get(code, "")
                if code != default:
                    self.initial[f"labels_{code}"] = "\n".join(c["label"].get(code, "") for c in question.choices)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        default = self.survey.default_locale
        choices = []
        lines = [line.strip() for line in data["choices"].splitlines() if line.strip()]
        translations = {
            code: [line.strip() for line in data.get(f"labels_{code}", "").splitlines()]
            for code in self.languages
            if code != default
        }
        for index, line in enumerate(lines):
            value, _, label = line.partition(":") if ":" in line else (line, "", line)
            value = re.sub(r"[^a-z0-9_-]+", "-", value.strip().lower()).strip("-") or str(index + 1)
            labels = {default: label.strip() or value}
            for code, labels_of_code in translations.items():
                if index < len(labels_of_code) and labels_of_code[index]:
                    labels[code] = labels_of_code[index]
            choices.append({"value": value, "label": labels})
        return {
            "kind": data["kind"],
            "key": data["key"],
            "required": data["required"],
            "is_primary": data["is_primary"],
            "text": {code: data.get(f"text_{code}", "") for code in self.languages},
            "choices": choices,
        }


class FollowUpNoteForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=4000, label=_("Note"))


class ThemeForm(forms.ModelForm):
    class Meta:
        model = Theme
        fields = ["name", "keywords", "color"]
        widgets = {"color": forms.TextInput(attrs={"type": "color"}), "keywords": forms.TextInput()}
        help_texts = {"keywords": "Comma-separated words or phrases, e.g. delivery, shipping, late, 送货."}
