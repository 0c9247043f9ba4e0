"""State-changing operations on teams, memberships and API keys."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .access import forget_roles, require_role
from .models import ApiKey, Membership, Role, Team, UserPreference

User = get_user_model()

# last_used_at is written at most this often per key, so busy integrations do not write per request.
API_KEY_TOUCH_INTERVAL = timedelta(minutes=1)


@transaction.atomic
def team_create(*, name: str, actor, accent_color: str = "#4f46e5") -> Team:
    """Create a team with ``actor`` as its first admin (anyone signed in may start a team)."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the team a name.")})
    team = Team(name=name, accent_color=accent_color)
    team.full_clean(exclude=["slug"], validate_constraints=False)
    team.save()
    Membership.objects.create(team=team, user=actor, role=Role.ADMIN)
    forget_roles(actor)
    return team


def team_update(
    *, team: Team, actor, name: str | None = None, accent_color: str | None = None, language: str | None = None
) -> Team:
    require_role(actor, team.pk, Role.ADMIN)
    if name is not None:
        team.name = name.strip()
    if accent_color is not None:
        team.accent_color = accent_color
    if language is not None:
        team.language = language
    team.full_clean(exclude=["slug"], validate_constraints=False)
    team.save(update_fields=["name", "accent_color", "language"])
    return team


def user_language_set(*, actor, language: str) -> UserPreference:
    """Keep the interface language ``actor`` chose ("" for automatic: the team's, then the browser's)."""
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied
    preference, _created = UserPreference.objects.get_or_create(user=actor)
    preference.language = language
    preference.full_clean(exclude=["user"])
    preference.save(update_fields=["language"])
    return preference


def _find_user(identifier: str):
    identifier = (identifier or "").strip()
    if not identifier:
        raise ValidationError({"user": _("Give a username or an email address.")})
    matches = list(User.objects.filter(Q(username__iexact=identifier) | Q(email__iexact=identifier))[:2])
    if len(matches) != 1:
        raise ValidationError(
            {"user": _("No single user has the username or email “%(identifier)s”.") % {"identifier": identifier}}
        )
    return matches[0]


def membership_add(*, team: Team, actor, identifier: str, role: str = Role.VIEWER) -> Membership:
    """Add an existing user, named by username or email, to ``team``."""
    require_role(actor, team.pk, Role.ADMIN)
    if role not in Role.values:
        raise ValidationError({"role": _("Choose one of %(values)s.") % {"values": ", ".join(Role.values)}})
    user = _find_user(identifier)
    try:
        with transaction.atomic():
            membership = Membership.objects.create(team=team, user=user, role=role)
    except IntegrityError as exc:
        raise ValidationError(
            {"user": _("%(user)s is already a member of %(team)s.") % {"user": user.username, "team": team.name}}
        ) from exc
    forget_roles(user)
    return membership


def _admins_left_after(membership: Membership) -> int:
    return (
        Membership.objects.select_for_update()
        .filter(team_id=membership.team_id, role=Role.ADMIN)
        .exclude(pk=membership.pk)
        .count()
    )


@transaction.atomic
def membership_change_role(*, membership: Membership, actor, role: str) -> Membership:
    require_role(actor, membership.team_id, Role.ADMIN)
    if role not in Role.values:
        raise ValidationError({"role": _("Choose one of %(values)s.") % {"values": ", ".join(Role.values)}})
    if membership.role == Role.ADMIN and role != Role.ADMIN and _admins_left_after(membership) == 0:
        raise ValidationError({"role": _("A team needs at least one admin; make someone else admin first.")})
    membership.role = role
    membership.save(update_fields=["role"])
    forget_roles(membership.user)
    forget_roles(actor)
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor) -> None:
    require_role(actor, membership.team_id, Role.ADMIN)
    if membership.role == Role.ADMIN and _admins_left_after(membership) == 0:
        raise ValidationError({"user": _("A team needs at least one admin; make someone else admin first.")})
    membership.delete()
    forget_roles(membership.user)
    forget_roles(actor)


def api_key_create(*, team: Team, actor, name: str, scope: str = ApiKey.Scope.READ) -> tuple[ApiKey, str]:
    """Create a key and return it with its raw value, which is shown this once only."""
    require_role(actor, team.pk, Role.ADMIN)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the key a name, such as the integration that uses it.")})
    if scope not in ApiKey.Scope.values:
        raise ValidationError({"scope": _("Choose one of %(values)s.") % {"values": ", ".join(ApiKey.Scope.values)}})
    prefix, raw = ApiKey.generate()
    key = ApiKey.objects.create(
        team=team, name=name[:100], scope=scope, prefix=prefix, hashed_key=ApiKey.hash(raw), created_by=actor
    )
    return key, raw


def api_key_revoke(*, api_key: ApiKey, actor) -> ApiKey:
    require_role(actor, api_key.team_id, Role.ADMIN)
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


def api_key_touch(*, api_key: ApiKey) -> None:
    """Record that the key was used, at most once per ``API_KEY_TOUCH_INTERVAL``."""
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at >= API_KEY_TOUCH_INTERVAL:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
