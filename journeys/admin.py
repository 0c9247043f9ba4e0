"""Django admin for journey maps, stages, touchpoints, pain points and versions."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from teams.admin_scope import TeamScopedAdmin, TeamScopedInline

from .models import JourneyMap, MapTemplate, MapVersion, PainPoint, ShareLink, ShareLinkView, Stage, Touchpoint


class StageInline(TeamScopedInline, admin.TabularInline):
    model = Stage
    fields = ["position", "name", "funnel"]
    extra = 0
    show_change_link = True


@admin.register(JourneyMap)
class JourneyMapAdmin(TeamScopedAdmin, admin.ModelAdmin):
    list_display = ["title", "team", "persona", "status", "revision", "updated_at"]
    list_filter = ["team", "status"]
    search_fields = ["title", "description"]
    autocomplete_fields = ["persona"]
    raw_id_fields = ["scenario", "created_by"]
    readonly_fields = ["revision", "created_at", "updated_at"]
    list_select_related = ["team", "persona"]
    inlines = [StageInline]


@admin.register(Stage)
class StageAdmin(TeamScopedAdmin, SimpleHistoryAdmin):
    list_display = ["name", "journey_map", "position", "funnel"]
    list_filter = ["journey_map__team", "funnel"]
    search_fields = ["name", "journey_map__title"]
    raw_id_fields = ["journey_map"]
    readonly_fields = ["key"]
    list_select_related = ["journey_map"]


@admin.register(Touchpoint)
class TouchpointAdmin(TeamScopedAdmin, SimpleHistoryAdmin):
    list_display = ["name", "stage", "channel", "emotion_label", "is_moment", "evidence_verified_at"]
    list_filter = ["stage__journey_map__team", "channel", "emotion_label", "is_moment", "evidence_source"]
    search_fields = ["name", "stage__name", "stage__journey_map__title"]
    raw_id_fields = ["stage"]
    readonly_fields = ["key"]
    list_select_related = ["stage__journey_map"]


@admin.register(PainPoint)
class PainPointAdmin(TeamScopedAdmin, SimpleHistoryAdmin):
    list_display = ["title", "touchpoint", "severity", "status"]
    list_filter = ["touchpoint__stage__journey_map__team", "status", "severity"]
    search_fields = ["title", "touchpoint__name"]
    raw_id_fields = ["touchpoint"]
    readonly_fields = ["key", "created_at", "fixed_at"]
    list_select_related = ["touchpoint__stage"]


@admin.register(MapVersion)
class MapVersionAdmin(TeamScopedAdmin, admin.ModelAdmin):
    """Versions are immutable: the admin shows them, never changes them."""

    list_display = ["journey_map", "number", "note", "created_by", "created_at"]
    list_filter = ["journey_map__team"]
    search_fields = ["journey_map__title", "note"]
    list_select_related = ["journey_map", "created_by"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(MapTemplate)
class MapTemplateAdmin(TeamScopedAdmin, admin.ModelAdmin):
    """A template is saved from a map (its document is made by the service): names can change here."""

    list_display = ["name", "team", "source_map", "created_by", "created_at"]
    list_filter = ["team"]
    search_fields = ["name", "description"]
    fields = ["team", "name", "description", "source_map", "created_by", "created_at", "document"]
    readonly_fields = ["team", "source_map", "created_by", "created_at", "document"]
    list_select_related = ["team", "source_map", "created_by"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ShareLink)
class ShareLinkAdmin(TeamScopedAdmin, admin.ModelAdmin):
    """Links are made on the map's share page; here they can be read and revoked (set "revoked at")."""

    list_display = ["__str__", "journey_map", "version", "expires_at", "revoked_at", "created_by"]
    list_filter = ["team"]
    search_fields = ["label", "journey_map__title"]
    fields = ["team", "journey_map", "version", "label", "expires_at", "revoked_at", "created_by", "created_at"]
    readonly_fields = ["team", "journey_map", "version", "created_by", "created_at"]
    list_select_related = ["journey_map", "version", "created_by"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ShareLinkView)
class ShareLinkViewAdmin(TeamScopedAdmin, admin.ModelAdmin):
    """The log of openings: read only."""

    list_display = ["link", "viewed_at", "ip", "user_agent"]
    list_filter = ["link__team"]
    list_select_related = ["link"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
