from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import ActionItem, DigestPreference, Review, ReviewSettings


class ActionItemInline(admin.TabularInline):
    model = ActionItem
    extra = 0
    fields = ["title", "owner", "due_date", "done", "done_at", "touchpoint", "pain_point", "experiment"]
    readonly_fields = ["done_at"]
    raw_id_fields = ["touchpoint", "pain_point", "experiment"]
    autocomplete_fields = ["owner"]


@admin.register(Review)
class ReviewAdmin(SimpleHistoryAdmin):
    list_display = ["journey_map", "date", "kind", "facilitator", "created_at"]
    list_filter = ["kind", "journey_map__team", "date"]
    search_fields = ["journey_map__title", "notes", "decisions"]
    date_hierarchy = "date"
    raw_id_fields = ["journey_map", "map_version"]
    autocomplete_fields = ["facilitator", "attendees"]
    list_select_related = ["journey_map", "facilitator"]
    inlines = [ActionItemInline]


@admin.register(ActionItem)
class ActionItemAdmin(SimpleHistoryAdmin):
    list_display = ["title", "owner", "due_date", "done", "review"]
    list_filter = ["done", "review__journey_map__team"]
    search_fields = ["title", "review__journey_map__title"]
    raw_id_fields = ["review", "touchpoint", "pain_point", "experiment"]
    autocomplete_fields = ["owner"]
    list_select_related = ["owner", "review__journey_map"]


@admin.register(ReviewSettings)
class ReviewSettingsAdmin(admin.ModelAdmin):
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
class DigestPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "unsubscribed", "updated_at"]
    list_filter = ["unsubscribed"]
    search_fields = ["user__username", "user__email"]
