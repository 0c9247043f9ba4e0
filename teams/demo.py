"""Demo data for teams: the demo team, one person of each role, and a second team to switch to."""

from django.conf import settings
from django.contrib.auth import get_user_model

from .models import Membership, Role, Team

DEMO_TEAM = "Northwind Journeys"
DEMO_USERS = [
    # username, first name, last name, role in the demo team
    ("demo", "Dana", "Ozola", Role.ADMIN),
    ("editor", "Emil", "Petrov", Role.EDITOR),
    ("viewer", "Vera", "Li", Role.VIEWER),
]


def seed() -> dict:
    User = get_user_model()
    team, _ = Team.objects.get_or_create(slug="northwind", defaults={"name": DEMO_TEAM, "accent_color": "#4f46e5"})
    other, _ = Team.objects.get_or_create(
        slug="acme-support", defaults={"name": "Acme Support", "accent_color": "#0f766e"}
    )
    users = {}
    for username, first, last, role in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@example.com"},
        )
        if created:
            user.set_password(settings.WAYMARK_DEMO_PASSWORD)
            user.is_staff = user.is_superuser = username == "demo"
            user.save()
        Membership.objects.get_or_create(team=team, user=user, defaults={"role": role})
        users[username] = user
    Membership.objects.get_or_create(team=other, user=users["demo"], defaults={"role": Role.ADMIN})
    return {"team": team, "other_team": other, "users": users}
