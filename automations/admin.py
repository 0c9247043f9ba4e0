"""Automations in the Django admin: read mostly (the builder is the place to edit steps)."""

from django.contrib import admin

from teams.admin_scope import TeamScopedAdmin, TeamScopedInline

from .models import Action, Automation, Enrolment, OwnerTask, Respect, StageCap, Step, Suppression


class StepInline(TeamScopedInline, admin.TabularInline):
    model = Step
    extra = 0
    fields = ("position", "parent", "side", "kind", "config")


@admin.register(Automation)
class AutomationAdmin(TeamScopedAdmin, admin.ModelAdmin):
    list_display = ("name", "journey_map", "trigger", "status", "holdout_percent", "team")
    list_filter = ("status", "trigger", "team")
    search_fields = ("name",)
    raw_id_fields = ("journey_map", "playbook", "created_by")
    inlines = [StepInline]


@admin.register(Enrolment)
class EnrolmentAdmin(TeamScopedAdmin, admin.ModelAdmin):
    list_display = ("automation", "profile", "status", "is_holdout", "step", "next_run_at", "converted_at")
    list_filter = ("status", "is_holdout", "team")
    raw_id_fields = ("automation", "profile", "step", "stage")


@admin.register(Action)
class ActionAdmin(TeamScopedAdmin, admin.ModelAdmin):
    list_display = ("automation", "kind", "status", "attempts", "reason", "created_at", "done_at")
    list_filter = ("status", "kind", "team")
    raw_id_fields = ("enrolment", "step", "automation", "profile")


@admin.register(OwnerTask)
class OwnerTaskAdmin(TeamScopedAdmin, admin.ModelAdmin):
    list_display = ("title", "owner", "status", "due_at")
    list_filter = ("status", "team")
    raw_id_fields = ("action", "profile", "touchpoint", "owner")


@admin.register(Suppression)
class SuppressionAdmin(TeamScopedAdmin, admin.ModelAdmin):
    list_display = ("profile", "reason", "created_at", "team")
    list_filter = ("reason", "team")
    raw_id_fields = ("profile",)


@admin.register(Respect)
class RespectAdmin(TeamScopedAdmin, admin.ModelAdmin):
    list_display = ("team", "max_messages", "per_days", "quiet_start", "quiet_end")


@admin.register(StageCap)
class StageCapAdmin(TeamScopedAdmin, admin.ModelAdmin):
    list_display = ("stage", "max_messages", "per_days", "team", "created_at")
    list_filter = ("team",)
    raw_id_fields = ("stage",)
