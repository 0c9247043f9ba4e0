from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from teams.admin_scope import TeamScopedAdmin, TeamScopedInline

from .models import Persona, Scenario


class ScenarioInline(TeamScopedInline, admin.StackedInline):
    model = Scenario
    extra = 0
    fields = ["name", "kind", "trigger", "goal", "expected_outcome", "success_markers"]
    show_change_link = True


@admin.register(Persona)
class PersonaAdmin(TeamScopedAdmin, SimpleHistoryAdmin):
    list_display = ["name", "team", "role", "market", "scenario_count", "archived", "updated_at"]
    list_filter = ["archived", "market", "team"]
    search_fields = ["name", "summary", "role", "team__name"]
    autocomplete_fields = ["team"]
    list_select_related = ["team"]
    readonly_fields = ["revision", "created_at", "updated_at"]
    inlines = [ScenarioInline]
    actions = ["archive_selected", "restore_selected"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_scenarios=Count("scenarios"))

    @admin.display(description=_("Scenarios"), ordering="n_scenarios")
    def scenario_count(self, persona):
        return persona.n_scenarios

    def _set_archived(self, request, queryset, archive: bool):
        # Staff need not be team members, so the services' role check does not fit here; this is the
        # same one-row change persona_archive makes (saved one by one so the audit history records it).
        # Deleting needs no guard of ours: the admin lists the journey maps that protect a persona.
        changed = 0
        for persona in queryset:
            if persona.archived != archive:
                persona.archived = archive
                persona.revision += 1
                persona.save(update_fields=["archived", "revision", "updated_at"])
                changed += 1
        if archive:
            message = ngettext("%(count)s persona archived.", "%(count)s personas archived.", changed)
        else:
            message = ngettext("%(count)s persona restored.", "%(count)s personas restored.", changed)
        self.message_user(request, message % {"count": changed})

    @admin.action(description=_("Archive the selected personas"))
    def archive_selected(self, request, queryset):
        self._set_archived(request, queryset, True)

    @admin.action(description=_("Restore the selected personas"))
    def restore_selected(self, request, queryset):
        self._set_archived(request, queryset, False)


@admin.register(Scenario)
class ScenarioAdmin(TeamScopedAdmin, SimpleHistoryAdmin):
    list_display = ["name", "persona", "kind", "team_name", "updated_at"]
    list_filter = ["kind", "persona__team"]
    search_fields = ["name", "trigger", "goal", "persona__name"]
    autocomplete_fields = ["persona"]
    list_select_related = ["persona__team"]
    readonly_fields = ["revision", "created_at", "updated_at"]

    @admin.display(description=_("Team"), ordering="persona__team__name")
    def team_name(self, scenario):
        return scenario.persona.team.name
