from django.contrib import admin
from django.db.models import Exists, OuterRef
from simple_history.admin import SimpleHistoryAdmin

from teams.admin_scope import TeamScopedAdmin, TeamScopedInline, admin_team_ids
from teams.models import Membership

from .models import ActionItem, DigestPreference, Review, ReviewSettings


class ActionItemInline(TeamScopedInline, admin.TabularInline):
    model = ActionItem
    extra = 0
    fields = ["title", "owner", "due_date", "done", "done_at", "touchpoint", "pain_point", "experiment"]
    readonly_fields = ["done_at"]
    raw_id_fields = ["touchpoint", "pain_point", "experiment"]
    autocomplete_fields = ["owner"]


@admin.register(Review)
class ReviewAdmin(TeamScopedAdmin, SimpleHistoryAdmin):
    list_display = ["journey_map", "date", "kind", "facilitator", "created_at"]
    list_filter = ["kind", "journey_map__team", "date"]
    search_fields = ["journey_map__title", "notes", "decisions"]
    date_hierarchy = "date"
    raw_id_fields = ["journey_map", "map_version"]
    autocomplete_fields = ["facilitator", "attendees"]
    list_select_related = ["journey_map", "facilitator"]
    inlines = [ActionItemInline]


@admin.register(ActionItem)
class ActionItemAdmin(TeamScopedAdmin, SimpleHistoryAdmin):
    list_display = ["title", "owner", "due_date", "done", "review"]
    list_filter = ["done", "review__journey_map__team"]
    search_fields = ["title", "review__journey_map__title"]
    raw_id_fields = ["review", "touchpoint", "pain_point", "experiment"]
    autocomplete_fields = ["owner"]
    list_select_related = ["owner", "review__journey_map"]


@admin.register(ReviewSettings)
class ReviewSettingsAdmin(TeamScopedAdmin, admin.ModelAdmin):
    list_display = [
        "team",
        "review_cadence_days",
        "digest_enabled",
        "digest_weekday",
        "digest_hour",
        "digest_last_sent_on",
    ]
    readonly_fields = ["digest_last_sent_on"]


@admin.register(DigestPreference)
class DigestPreferenceAdmin(TeamScopedAdmin, admin.ModelAdmin):
    list_display = ["user", "unsubscribed", "updated_at"]
    list_filter = ["unsubscribed"]
    search_fields = ["user__username", "user__email"]

    def get_queryset(self, request):
        # A person's preference, not a team's row: shown for the members of the admin's teams.
        queryset = super().get_queryset(request)
        ids = admin_team_ids(request)
        if ids is None:
            return queryset
        return queryset.filter(Exists(Membership.objects.filter(user=OuterRef("user"), team__in=ids)))
