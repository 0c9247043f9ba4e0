from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from .admin_scope import TeamScopedAdmin, TeamScopedInline
from .models import ApiKey, Membership, Team


class MembershipInline(TeamScopedInline, admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(TeamScopedAdmin, admin.ModelAdmin):
    list_display = ["name", "slug", "member_count", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_members=Count("memberships"))

    @admin.display(description=_("Members"), ordering="n_members")
    def member_count(self, team):
        return team.n_members


@admin.register(Membership)
class MembershipAdmin(TeamScopedAdmin, admin.ModelAdmin):
    list_display = ["user", "team", "role", "created_at"]
    list_filter = ["role", "team"]
    search_fields = ["user__username", "user__email", "team__name"]
    autocomplete_fields = ["user", "team"]
    list_select_related = ["user", "team"]


@admin.register(ApiKey)
class ApiKeyAdmin(TeamScopedAdmin, admin.ModelAdmin):
    list_display = ["name", "team", "prefix", "scope", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["scope", "team"]
    search_fields = ["name", "prefix", "team__name"]
    readonly_fields = ["prefix", "hashed_key", "created_by", "created_at", "last_used_at"]
    list_select_related = ["team"]

    def has_add_permission(self, request):
        # Keys are created in the team's settings page, where the key is shown once.
        return False


# People: a staff member sees only the members of their own teams.
User = get_user_model()
if admin.site.is_registered(User):
    user_admin_base = type(admin.site._registry[User])
    admin.site.unregister(User)
else:
    user_admin_base = UserAdmin
admin.site.register(User, type("ScopedUserAdmin", (TeamScopedAdmin, user_admin_base), {}))
