"""Who may do what: the one place that turns a principal and a team into a role.

A principal is a signed-in person or an API key (``ApiKeyPrincipal``). Reads are scoped by
``TeamScopedQuerySet.for_user``; writes ask ``role_for`` here. Another team's object is a 404
(``get_object_for_user``), a write without the role is a 403 (``PermissionDenied``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404
from django.utils.translation import gettext as _

from .models import ApiKey, Membership, Role, TeamScopedModel

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

M = TypeVar("M", bound=TeamScopedModel)


@dataclass(frozen=True)
class ApiKeyPrincipal:
    """The identity of a request authenticated by a team API key."""

    api_key: ApiKey

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    @property
    def username(self) -> str:
        return f"api-key:{self.api_key.prefix}"

    def __str__(self) -> str:
        return self.username


def role_for(user, team_id: int | None) -> Role | None:
    """Return the role ``user`` holds in the team, or None when not a member."""
    if team_id is None or user is None or not user.is_authenticated:
        return None
    api_key = getattr(user, "api_key", None)
    if api_key is not None:
        return api_key.role if api_key.team_id == team_id else None
    # A request asks about the same few teams many times; remember the roles on the user object.
    cache = user.__dict__.setdefault("_waymark_roles", None)
    if cache is None:
        cache = dict(Membership.objects.filter(user=user).values_list("team_id", "role"))
        user.__dict__["_waymark_roles"] = cache
    role = cache.get(team_id)
    return Role(role) if role else None


def forget_roles(user) -> None:
    """Drop the roles remembered on ``user`` (after a membership changes)."""
    user.__dict__.pop("_waymark_roles", None)


def has_role(user, team_id: int | None, required: Role | str) -> bool:
    role = role_for(user, team_id)
    return role is not None and role.allows(required)


def max_role(user) -> Role | None:
    """Return the highest role ``user`` holds in any team."""
    api_key = getattr(user, "api_key", None)
    if api_key is not None:
        return api_key.role
    if user is None or not user.is_authenticated:
        return None
    role_for(user, -1)  # fill the cache
    roles = [Role(r) for r in user.__dict__["_waymark_roles"].values()]
    return max(roles, key=lambda r: r.rank, default=None)


def require_role(user, team_id: int | None, required: Role | str) -> None:
    """Raise 404 when ``user`` is not in the team, 403 when their role is too low."""
    role = role_for(user, team_id)
    if role is None:
        raise Http404(_("No such object."))
    if not role.allows(required):
        raise PermissionDenied(
            _("This needs the %(role)s role in the team.") % {"role": str(Role(required).label).lower()}
        )


def check_actor(actor, team_id: int | None, required: Role | str = Role.EDITOR) -> None:
    """Refuse a service's ``actor`` without ``required`` in the team (404 outside it, 403 below it).

    Services call this so that every caller (views, API, admin, tasks) gets the same rule. No
    actor means the system itself (a migration, a task, the demo seed); a superuser may do anything.
    """
    if actor is None or getattr(actor, "is_superuser", False):
        return
    require_role(actor, team_id, required)


def get_object_for_user(queryset: models.QuerySet[M] | type[M], user, **lookup) -> M:
    """Return the object if ``user`` may read it; otherwise 404, whether or not it exists."""
    if isinstance(queryset, type):
        queryset = queryset.objects.all()
    try:
        return queryset.for_user(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, models.ObjectDoesNotExist) as exc:
        raise Http404(_("No such object.")) from exc


def get_object_for_write(
    queryset: models.QuerySet[M] | type[M], user, required: Role | str = Role.EDITOR, **lookup
) -> M:
    """Return the object if ``user`` may change it: 404 outside the team, 403 below ``required``."""
    obj = get_object_for_user(queryset, user, **lookup)
    require_role(user, obj.get_team_id(), required)
    return obj


def history_user(request=None, **kwargs) -> AbstractBaseUser | None:
    """Return the person to record in audit history (API keys record their creator)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    api_key = getattr(user, "api_key", None)
    if api_key is not None:
        return api_key.created_by
    return user


def admin_team_ids(user) -> models.QuerySet | list[int]:
    """Return the ids of the teams ``user`` administers (none for an API key: keys never manage)."""
    if getattr(user, "api_key", None) is not None or user is None or not user.is_authenticated:
        return []
    return Membership.objects.filter(user=user, role=Role.ADMIN).values("team_id")
