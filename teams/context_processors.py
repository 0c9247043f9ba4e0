def teams(request):
    """Expose the current team, the person's memberships and their role to every template."""
    membership = getattr(request, "membership", None)
    return {
        "current_team": getattr(request, "team", None),
        "current_membership": membership,
        "memberships": getattr(request, "memberships", []),
        "can_edit": bool(membership and membership.role in ("editor", "admin")),
        "is_team_admin": bool(membership and membership.role == "admin"),
    }
