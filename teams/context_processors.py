from .languages import SESSION_KEY as LANGUAGE_SESSION_KEY


def teams(request):
    """Expose the current team, the person's memberships and their role to every template."""
    membership = getattr(request, "membership", None)
    return {
        "current_team": getattr(request, "team", None),
        "current_membership": membership,
        "memberships": getattr(request, "memberships", []),
        "can_edit": bool(membership and membership.role in ("editor", "admin")),
        "is_team_admin": bool(membership and membership.role == "admin"),
        # The language the person chose ("" for automatic), read from the session like the middleware.
        "user_language": request.session.get(LANGUAGE_SESSION_KEY, "") if hasattr(request, "session") else "",
    }
