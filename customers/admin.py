"""Admin views for inspecting customers data; writes go through the API and pages (services)."""

from django.contrib import admin

from teams.admin_scope import TeamScopedAdmin

from .models import Erasure, Event, IngestRefusal, Profile, ProfileMerge, Source, TrackingRule


class ReadOnlyAdmin(TeamScopedAdmin, admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Source)
class SourceAdmin(ReadOnlyAdmin):
    list_display = ["name", "team", "kind", "prefix", "last_event_at", "revoked_at"]
    list_filter = ["kind", "team"]
    search_fields = ["name", "prefix"]


@admin.register(Profile)
class ProfileAdmin(ReadOnlyAdmin):
    list_display = ["id", "team", "user_id", "last_seen_at", "merged_into"]
    list_filter = ["team"]
    search_fields = ["user_id", "identities__value"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["timestamp", "team", "source", "type", "event", "user_id", "anonymous_id", "clock_skew_suspect"]
    list_filter = ["type", "clock_skew_suspect", "team"]
    search_fields = ["message_id", "user_id", "anonymous_id", "event"]
    list_select_related = ["team", "source"]


@admin.register(ProfileMerge)
class ProfileMergeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "team", "status", "trigger", "identifier", "into_profile", "from_profile", "reason"]
    list_filter = ["status", "trigger", "team"]
    search_fields = ["identifier"]


@admin.register(TrackingRule)
class TrackingRuleAdmin(ReadOnlyAdmin):
    list_display = ["id", "team", "journey_map", "stage", "touchpoint", "event_type", "event_name", "path_pattern"]
    list_filter = ["event_type", "is_active", "team"]
    list_select_related = ["team", "journey_map", "stage", "touchpoint"]


@admin.register(Erasure)
class ErasureAdmin(ReadOnlyAdmin):
    list_display = ["erased_at", "team", "identifier_hash", "erased_by", "counts"]
    list_filter = ["team"]
    search_fields = ["identifier_hash"]
    list_select_related = ["team", "erased_by"]


@admin.register(IngestRefusal)
class IngestRefusalAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "team", "source", "code", "field", "message"]
    list_filter = ["code", "team"]
    search_fields = ["code", "message", "message_id"]
    list_select_related = ["team", "source"]
