"""One FilterSet per list, shared by the pages and the API."""

import contextlib

from django.db.models import Exists, OuterRef, Q
from django.db.models.fields.json import KeyTransform
from django_filters import rest_framework as filters

from teams.filters import FilterSet as StrictFilterSet

from .models import Event, Identity, Profile, ProfileStage, Source, TrackingRule


class ProfileFilter(StrictFilterSet):
    team = filters.NumberFilter(field_name="team_id", help_text="Team id.")
    q = filters.CharFilter(
        method="filter_q", help_text="A user id, anonymous id or alias (exact), or a user id prefix."
    )
    user_id = filters.CharFilter(field_name="user_id", help_text="The profile's user id, exactly.")
    anonymous_id = filters.CharFilter(method="filter_anonymous_id", help_text="An anonymous id of the profile.")
    trait = filters.CharFilter(
        method="filter_trait", help_text="key:value, e.g. plan:team (the profile's current trait, as text)."
    )
    map = filters.NumberFilter(method="filter_map", help_text="Journey map id: profiles with a current stage there.")
    stage = filters.NumberFilter(method="filter_stage", help_text="Stage id: profiles in this stage now.")
    entered_after = filters.IsoDateTimeFilter(
        method="filter_entered_after", help_text="With stage: entered it at or after (ISO 8601)."
    )
    entered_before = filters.IsoDateTimeFilter(
        method="filter_entered_before", help_text="With stage: entered it before (ISO 8601), e.g. stalled past an SLA."
    )
    seen_since = filters.IsoDateTimeFilter(field_name="last_seen_at", lookup_expr="gte", help_text="Seen at or after.")
    persona = filters.NumberFilter(
        field_name="persona_id", help_text="Persona id: profiles whose traits meet that persona's rules."
    )

    class Meta:
        model = Profile
        fields = []

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        by_identity = Identity.objects.filter(profile=OuterRef("pk"), value=value)
        return queryset.filter(Q(Exists(by_identity)) | Q(user_id__startswith=value))

    def filter_anonymous_id(self, queryset, name, value):
        by_identity = Identity.objects.filter(profile=OuterRef("pk"), kind=Identity.Kind.ANONYMOUS_ID, value=value)
        return queryset.filter(Exists(by_identity))

    def filter_trait(self, queryset, name, value):
        key, sep, wanted = value.partition(":")
        key = key.strip()
        if not key:
            return queryset
        if not sep:
            return queryset.filter(traits__has_key=key)
        # The value as text, and as the number or boolean it spells: "age:30" finds 30 and "30".
        wanted = wanted.strip()
        candidates: list = [wanted]
        try:
            candidates.append(int(wanted))
        except ValueError:
            with contextlib.suppress(ValueError):
                candidates.append(float(wanted))
        if wanted in ("true", "false"):
            candidates.append(wanted == "true")
        query = Q()
        for candidate in candidates:
            query |= Q(_trait=candidate)
        return queryset.alias(_trait=KeyTransform(key, "traits")).filter(query)

    def _stage_rows(self):
        rows = ProfileStage.objects.filter(profile=OuterRef("pk"))
        data = self.form.cleaned_data
        if data.get("map") is not None:
            rows = rows.filter(journey_map_id=data["map"])
        if data.get("stage") is not None:
            rows = rows.filter(stage_id=data["stage"])
        if data.get("entered_after") is not None:
            rows = rows.filter(entered_at__gte=data["entered_after"])
        if data.get("entered_before") is not None:
            rows = rows.filter(entered_at__lt=data["entered_before"])
        return rows

    def filter_map(self, queryset, name, value):
        # map, stage and the entry times make one condition on the current stage: apply it once.
        if getattr(self, "_stage_applied", False):
            return queryset
        self._stage_applied = True
        return queryset.filter(Exists(self._stage_rows()))

    filter_stage = filter_map
    filter_entered_after = filter_map
    filter_entered_before = filter_map


class EventFilter(StrictFilterSet):
    team = filters.NumberFilter(field_name="team_id", help_text="Team id.")
    source = filters.NumberFilter(field_name="source_id", help_text="Source id.")
    profile = filters.NumberFilter(field_name="identity__profile_id", help_text="Profile id (through its identities).")
    type = filters.ChoiceFilter(choices=Event.Type.choices, help_text="track, identify, page, screen, group or alias.")
    event = filters.CharFilter(help_text="The track event's (or page's) name, exactly.")
    user_id = filters.CharFilter(help_text="The userId sent with the event.")
    anonymous_id = filters.CharFilter(help_text="The anonymousId sent with the event.")
    message_id = filters.CharFilter(help_text="The source's messageId.")
    since = filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte", help_text="Happened at or after.")
    until = filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="lt", help_text="Happened before.")
    clock_skew_suspect = filters.BooleanFilter(help_text="Far in the future or past.")

    class Meta:
        model = Event
        fields = []


class SourceFilter(StrictFilterSet):
    team = filters.NumberFilter(field_name="team_id")

    class Meta:
        model = Source
        fields = ["kind"]


class TrackingRuleFilter(StrictFilterSet):
    team = filters.NumberFilter(field_name="team_id")
    map = filters.NumberFilter(field_name="journey_map_id")
    stage = filters.NumberFilter(field_name="stage_id")
    touchpoint = filters.NumberFilter(field_name="touchpoint_id")

    class Meta:
        model = TrackingRule
        fields = ["event_type", "is_active"]
