"""Who a comment mentions: ``@username`` of a member of the map's team, nobody else.

A name that is not a member stays text (an email address, a handle elsewhere): nobody outside the
team learns that a comment named them, and a typo notifies nobody.
"""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model

from teams.models import Membership

# Django's usernames allow letters, digits and @.+-_; a trailing full stop ends the sentence, not the name.
MENTION_RE = re.compile(r"(?<![\w@.+-])@([\w.+-]*[\w+-])")


def mentioned_names(body: str) -> list[str]:
    """Return the distinct @names in ``body`` (case kept as written), in order of appearance."""
    seen: dict[str, str] = {}
    for name in MENTION_RE.findall(body or ""):
        seen.setdefault(name.casefold(), name)
    return list(seen.values())


def mentioned_members(body: str, *, team_id: int) -> list:
    """Return the members of the team the body mentions (usernames compared without case)."""
    names = {n.casefold() for n in mentioned_names(body)}
    if not names:
        return []
    members = get_user_model().objects.filter(
        is_active=True, pk__in=Membership.objects.filter(team_id=team_id).values("user_id")
    )
    return sorted((u for u in members if u.get_username().casefold() in names), key=lambda u: u.get_username())


def team_usernames(team_id: int) -> list[str]:
    """Return the usernames one may mention in the team, for the comment form's hint."""
    return list(
        Membership.objects.filter(team_id=team_id, user__is_active=True)
        .order_by("user__username")
        .values_list("user__username", flat=True)
    )
