"""Django admin for owners, SLAs, hand-offs and playbooks: the main admin surface of the product.

Every change goes through ``owners.services`` (the same rules as the UI and the API) and
is kept in django-simple-history with the admin who made it. User and touchpoint autocompletes
offer only people and touchpoints of the teams the admin belongs to (superusers: all), and on an
object's page only the members of that object's team.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from journeys.models import JourneyMap, Stage, Touchpoint
from teams.admin_scope import TeamScopedAdmin, TeamScopedInline
from teams.admin_scope import admin_team_ids as _admin_team_ids
from teams.models import Membership

from . import services
from .models import SLA, Handoff, HandoffCase, Ownership, Playbook
from .selectors import with_departed

User = get_user_model()


class TeamFilter(admin.SimpleListFilter):
    title = _("team")
    parameter_name = "team"
    lookup = "journey_map__team"

    def lookups(self, request, model_admin):
        from teams.models import Team

        teams = Team.objects.all()
        ids = _admin_team_ids(request)
        if ids is not None:
            teams = teams.filter(pk__in=ids)
        return [(t.pk, t.name) for t in teams]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.lookup: self.value()})
        return queryset


class MapFilter(admin.SimpleListFilter):
    title = _("map")
    parameter_name = "map"
    lookup = "journey_map"

    def lookups(self, request, model_admin):
        from journeys.models import JourneyMap

        maps = JourneyMap.objects.select_related("team")
        ids = _admin_team_ids(request)
        if ids is not None:
            maps = maps.filter(team__in=ids)
        return [(m.pk, f"{m.title} ({m.team.name})") for m in maps]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.lookup: self.value()})
        return queryset


class SLATeamFilter(TeamFilter):
    lookup = "touchpoint__stage__journey_map__team"


class SLAMapFilter(MapFilter):
    lookup = "touchpoint__stage__journey_map"


class CaseTeamFilter(TeamFilter):
    lookup = "handoff__journey_map__team"


class CaseMapFilter(MapFilter):
    lookup = "handoff__journey_map"


class DepartedFilter(admin.SimpleListFilter):
    title = _("owner status")
    parameter_name = "departed"

    def lookups(self, request, model_admin):
        return [("yes", _("Left the team")), ("no", _("Still a member"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(departed=self.value() == "yes")
        return queryset


class ScopedAdminMixin(TeamScopedAdmin):
    """Limit rows, history, choices and filters to the admin's teams (teams/admin_scope.py)."""

    team_lookup = "journey_map__team"


class ReassignForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.none(), label=_("New accountable owner"))

    def __init__(self, *args, team_ids, **kwargs):
        super().__init__(*args, **kwargs)
        # Only people who are members of every team of the selected rows qualify.
        users = User.objects.all()
        for team_id in team_ids:
            users = users.filter(Exists(Membership.objects.filter(user=OuterRef("pk"), team_id=team_id)))
        self.fields["user"].queryset = users.order_by("username")


def _reassign(model_admin, request, touchpoints, *, back_rows):
    """Show the "choose the new owner" page, then reassign through the service."""
    touchpoints = list(touchpoints.select_related("stage__journey_map__team"))
    team_ids = sorted({t.stage.journey_map.team_id for t in touchpoints})
    form = ReassignForm(request.POST if "apply" in request.POST else None, team_ids=team_ids)
    if "apply" in request.POST and form.is_valid():
        try:
            changed = services.ownership_reassign_accountable(
                actor=request.user, touchpoints=touchpoints, user=form.cleaned_data["user"]
            )
        except ValidationError as exc:
            model_admin.message_user(request, " ".join(exc.messages), messages.ERROR)
        else:
            model_admin.message_user(
                request,
                ngettext(
                    "%(user)s is now accountable for %(count)s touchpoint (%(changed)s changed).",
                    "%(user)s is now accountable for %(count)s touchpoints (%(changed)s changed).",
                    len(touchpoints),
                )
                % {"user": form.cleaned_data["user"].get_username(), "count": len(touchpoints), "changed": changed},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(request.get_full_path())
    context = {
        **model_admin.admin_site.each_context(request),
        "title": gettext("Reassign accountable owner"),
        "opts": model_admin.model._meta,
        "touchpoints": touchpoints,
        "rows": back_rows,
        "form": form,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "action": request.POST.get("action"),
    }
    return TemplateResponse(request, "owners/admin_reassign.html", context)


@admin.register(Ownership)
class OwnershipAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["user", "role", "target", "journey_map", "team", "is_departed", "created_at"]
    list_filter = [TeamFilter, MapFilter, "role", DepartedFilter, ("user", admin.RelatedOnlyFieldListFilter)]
    search_fields = [
        "user__username",
        "user__first_name",
        "user__last_name",
        "user__email",
        "touchpoint__name",
        "stage__name",
        "journey_map__title",
    ]
    autocomplete_fields = ["user", "touchpoint", "stage"]
    list_select_related = ["user", "journey_map__team", "touchpoint", "stage"]
    readonly_fields = ["journey_map", "created_at"]
    fields = ["touchpoint", "stage", "user", "role", "journey_map", "created_at"]
    actions = ["reassign_accountable"]
    history_list_display = ["user", "role"]

    def get_queryset(self, request):
        return with_departed(super().get_queryset(request))

    @admin.display(description=_("Touchpoint or stage"))
    def target(self, ownership):
        return ownership.touchpoint or ownership.stage

    @admin.display(description=_("Team"), ordering="journey_map__team__name")
    def team(self, ownership):
        return ownership.journey_map.team

    @admin.display(description=_("Left the team"), boolean=True, ordering="departed")
    def is_departed(self, ownership):
        return ownership.departed

    @admin.action(description=_("Reassign accountable owner to…"))
    def reassign_accountable(self, request, queryset):
        touchpoint_ids = queryset.filter(touchpoint__isnull=False).values("touchpoint_id")
        return _reassign(self, request, Touchpoint.objects.filter(pk__in=touchpoint_ids), back_rows=queryset)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.ownership_remove(actor=request.user, ownership=Ownership.objects.get(pk=obj.pk))
        saved = services.ownership_assign(
            actor=request.user,
            user=data["user"],
            touchpoint=data.get("touchpoint"),
            stage=data.get("stage"),
            role=data["role"],
        )
        obj.pk, obj.journey_map_id = saved.pk, saved.journey_map_id

    def delete_model(self, request, obj):
        services.ownership_remove(actor=request.user, ownership=obj)

    def delete_queryset(self, request, queryset):
        for ownership in queryset:
            services.ownership_remove(actor=request.user, ownership=ownership)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        clean = form.clean

        def clean_with_service_rules(self_form):
            data = clean(self_form)
            touchpoint, stage, user = data.get("touchpoint"), data.get("stage"), data.get("user")
            if bool(touchpoint) == bool(stage):
                raise ValidationError(gettext("Choose a touchpoint or a stage (one of them)."))
            journey_map = touchpoint.stage.journey_map if touchpoint else stage.journey_map
            if user and not Membership.objects.filter(team_id=journey_map.team_id, user=user).exists():
                self_form.add_error(
                    "user",
                    gettext("%(user)s is not a member of %(team)s.")
                    % {"user": user.get_username(), "team": journey_map.team},
                )
            return data

        form.clean = clean_with_service_rules
        form._validate_unique = False
        return form


@admin.register(SLA)
class SLAAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    team_lookup = "touchpoint__stage__journey_map__team"
    list_display = ["touchpoint", "map", "response_target", "business_hours", "escalation_delay"]
    list_filter = [SLATeamFilter, SLAMapFilter, "business_hours"]
    search_fields = ["touchpoint__name", "touchpoint__stage__journey_map__title"]
    autocomplete_fields = ["touchpoint"]
    list_select_related = ["touchpoint__stage__journey_map"]

    @admin.display(description=_("Map"), ordering="touchpoint__stage__journey_map__title")
    def map(self, sla):
        return sla.touchpoint.stage.journey_map

    def save_model(self, request, obj, form, change):
        saved = services.sla_set(
            actor=request.user,
            touchpoint=obj.touchpoint,
            response_target=obj.response_target,
            business_hours=obj.business_hours,
            escalation_delay=obj.escalation_delay,
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.sla_remove(actor=request.user, sla=obj)


class HandoffCaseInline(TeamScopedInline, admin.TabularInline):
    # Read only: cases are opened, corrected and completed on their own page, through the services.
    model = HandoffCase
    extra = 0
    can_delete = False
    fields = ["reference", "started_at", "due_at", "completed_at", "breached_at", "escalated_at"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Handoff)
class HandoffAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["__str__", "journey_map", "from_owner", "to_owner", "response_target", "business_hours"]
    list_filter = [TeamFilter, MapFilter, "business_hours", ("to_owner", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["from_touchpoint__name", "to_touchpoint__name", "journey_map__title", "notes"]
    autocomplete_fields = ["from_touchpoint", "to_touchpoint", "from_owner", "to_owner"]
    list_select_related = ["journey_map", "from_touchpoint", "to_touchpoint", "from_owner", "to_owner"]
    readonly_fields = ["journey_map", "created_at"]
    inlines = [HandoffCaseInline]

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data.get(name) for name in services.HandoffInput.__dataclass_fields__}
        fields["notes"] = fields["notes"] or ""
        if change:
            saved = services.handoff_update(actor=request.user, handoff=Handoff.objects.get(pk=obj.pk), **fields)
        else:
            saved = services.handoff_create(actor=request.user, **fields)
        obj.pk, obj.journey_map_id = saved.pk, saved.journey_map_id

    def delete_model(self, request, obj):
        services.handoff_delete(actor=request.user, handoff=obj)


@admin.register(HandoffCase)
class HandoffCaseAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    team_lookup = "handoff__journey_map__team"
    list_display = ["__str__", "due_at", "completed_at", "breached_at", "escalated_at"]
    list_filter = [CaseTeamFilter, CaseMapFilter, ("breached_at", admin.EmptyFieldListFilter)]
    search_fields = ["reference", "handoff__from_touchpoint__name", "handoff__to_touchpoint__name"]
    list_select_related = ["handoff__from_touchpoint", "handoff__to_touchpoint"]
    fields = ["handoff", "reference", "started_at", "due_at", "completed_at", "breached_at", "escalated_at"]
    readonly_fields = ["due_at", "completed_at", "breached_at", "escalated_at", "opened_by", "completed_by"]
    raw_id_fields = ["handoff"]
    actions = ["complete_cases"]

    def get_readonly_fields(self, request, obj=None):
        # A case's clock runs from its hand-off and start: once open, only its reference changes.
        if obj is not None:
            return [*self.readonly_fields, "handoff", "started_at"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            case = HandoffCase.objects.select_related("handoff__journey_map").get(pk=obj.pk)
            services.handoff_case_update(actor=request.user, case=case, reference=form.cleaned_data["reference"])
            return
        saved = services.handoff_case_open(
            actor=request.user,
            handoff=form.cleaned_data["handoff"],
            reference=form.cleaned_data["reference"],
            started_at=form.cleaned_data["started_at"],
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.handoff_case_delete(actor=request.user, case=obj)

    def delete_queryset(self, request, queryset):
        for case in queryset.select_related("handoff__journey_map"):
            services.handoff_case_delete(actor=request.user, case=case)

    @admin.action(description=_("Mark the selected cases picked up"))
    def complete_cases(self, request, queryset):
        for case in queryset.select_related("handoff__journey_map"):
            services.handoff_case_complete(actor=request.user, case=case)


@admin.register(Playbook)
class PlaybookAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "journey_map", "stage", "touchpoint", "owner", "updated_at"]
    list_filter = [TeamFilter, MapFilter, ("owner", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "trigger", "steps", "journey_map__title"]
    autocomplete_fields = ["journey_map", "stage", "touchpoint", "owner"]
    list_select_related = ["journey_map", "stage", "touchpoint", "owner"]

    def save_model(self, request, obj, form, change):
        fields = {k: form.cleaned_data.get(k) for k in services.PLAYBOOK_FIELDS}
        fields["trigger"] = fields["trigger"] or ""
        fields["steps"] = fields["steps"] or ""
        if change:
            saved = services.playbook_update(actor=request.user, playbook=Playbook.objects.get(pk=obj.pk), **fields)
        else:
            name = fields.pop("name")
            saved = services.playbook_create(
                actor=request.user, journey_map=form.cleaned_data["journey_map"], name=name, **fields
            )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.playbook_delete(actor=request.user, playbook=obj)


# --- autocompletes limited to the admin's teams --------------------------------------------


def _is_owner_autocomplete(request) -> bool:
    return request.path.endswith("/autocomplete/") and request.GET.get("app_label") == "owners"


def _scope_users(request, queryset):
    ids = _admin_team_ids(request)
    members = Membership.objects.filter(user=OuterRef("pk"))
    if ids is not None:
        members = members.filter(team__in=ids)
    return queryset.filter(Exists(members))


def _scope_by_team(lookup):
    def scope(request, queryset):
        ids = _admin_team_ids(request)
        return queryset if ids is None else queryset.filter(**{f"{lookup}__in": ids})

    return scope


class _MinimalAdmin(TeamScopedAdmin, admin.ModelAdmin):
    search_fields = ["name"]


def limit_autocomplete(model, scope, *, search_fields=("name",)) -> None:
    """Make the autocomplete of ``model`` in the owners admin offer only rows of the admin's teams.

    The registered admin of ``model`` (journeys' own, or Django's user admin) keeps its behaviour
    elsewhere; only autocomplete requests coming from the owners' admin pages are narrowed. A model
    without an admin gets a minimal one with search, which autocomplete fields need.
    """
    if not admin.site.is_registered(model):
        admin.site.register(model, type(f"{model.__name__}Admin", (_MinimalAdmin,), {"search_fields": search_fields}))
    model_admin = admin.site._registry[model]
    if getattr(model_admin, "_owner_scoped", False):
        return
    original = model_admin.get_search_results

    def get_search_results(request, queryset, search_term):
        queryset, may_have_duplicates = original(request, queryset, search_term)
        if _is_owner_autocomplete(request):
            queryset = scope(request, queryset)
        return queryset, may_have_duplicates

    model_admin.get_search_results = get_search_results
    model_admin._owner_scoped = True


limit_autocomplete(User, _scope_users, search_fields=("username", "first_name", "last_name", "email"))
limit_autocomplete(Touchpoint, _scope_by_team("stage__journey_map__team"), search_fields=("name", "stage__name"))
limit_autocomplete(Stage, _scope_by_team("journey_map__team"))
limit_autocomplete(JourneyMap, _scope_by_team("team"), search_fields=("title",))
