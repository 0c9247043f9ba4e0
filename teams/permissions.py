"""The DRF permission every API view uses: members read, editors write, admins manage."""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from .access import has_role, max_role, role_for
from .models import Role


class TeamRolePermission(permissions.BasePermission):
    """Allow reads to members and writes to members with the view's ``write_role``.

    Object reads need no check here: the viewset's queryset holds only the principal's teams, so
    another team's object is already a 404. A create cannot name its team before validation, so
    ``has_permission`` refuses writes from principals who hold the role in no team at all, and the
    viewset checks the particular team in ``perform_create``.
    """

    message = _("Your role in this team does not allow this.")

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        role = max_role(request.user)
        return role is not None and role.allows(write_role_of(view))

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS and not getattr(view, "action_writes", False):
            return role_for(request.user, obj.get_team_id()) is not None
        return has_role(request.user, obj.get_team_id(), write_role_of(view))


def write_role_of(view) -> Role:
    return Role(getattr(view, "write_role", Role.EDITOR))
