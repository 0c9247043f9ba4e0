from django.contrib import admin

from teams.admin_scope import TeamScopedAdmin, TeamScopedInline

from .models import Comment, Notification, Presence, Thread


class CommentInline(TeamScopedInline, admin.StackedInline):
    model = Comment
    extra = 0
    fields = ["author", "body", "created_at", "edited_at"]
    readonly_fields = ["created_at", "edited_at"]
    autocomplete_fields = ["author"]


@admin.register(Thread)
class ThreadAdmin(TeamScopedAdmin, admin.ModelAdmin):
    list_display = ["__str__", "journey_map", "status", "created_by", "last_comment_at"]
    list_filter = ["status", "target", "journey_map__team"]
    search_fields = ["journey_map__title", "comments__body"]
    raw_id_fields = ["journey_map", "stage", "touchpoint", "pain_point", "version"]
    autocomplete_fields = ["created_by", "resolved_by"]
    list_select_related = ["journey_map", "created_by", "stage", "touchpoint", "pain_point", "version"]
    inlines = [CommentInline]


@admin.register(Notification)
class NotificationAdmin(TeamScopedAdmin, admin.ModelAdmin):
    list_display = ["recipient", "kind", "team", "created_at", "read_at", "email"]
    list_filter = ["kind", "email", "team"]
    search_fields = ["recipient__username", "comment__body"]
    raw_id_fields = ["comment"]
    autocomplete_fields = ["recipient"]
    list_select_related = ["recipient", "team"]


@admin.register(Presence)
class PresenceAdmin(TeamScopedAdmin, admin.ModelAdmin):
    list_display = ["user", "journey_map", "editing", "editing_name", "seen_at"]
    list_filter = ["editing"]
    raw_id_fields = ["journey_map"]
    autocomplete_fields = ["user"]
    list_select_related = ["user", "journey_map"]
