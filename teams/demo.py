"""Demo data for teams: the demo team, one person of each role, and a second team to switch to.

``seed_zh_hant`` adds a third team that works in Traditional Chinese (晨光選物, a Taiwanese online
lifestyle shop), with the same three people in the same roles, so the demo shows the product in
another language. Its name sorts after the Latin ones, so nobody's first team changes.
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model

from .access import forget_roles
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


ZH_HANT_TEAM = "晨光選物"
ZH_HANT_SLUG = "morning-light"


def seed_zh_hant(context: dict) -> dict:
    """Create the Traditional Chinese demo team once; return a context of its own for the apps' seeds."""
    team, _ = Team.objects.get_or_create(
        slug=ZH_HANT_SLUG,
        defaults={
            "name": ZH_HANT_TEAM,
            "accent_color": "#b45309",
            "language": "zh-hant",
            "time_zone": "Asia/Taipei",
            # Customer service answers Monday to Friday, 09:30–18:30 Taipei time.
            "workday_start": datetime.time(9, 30),
            "workday_end": datetime.time(18, 30),
        },
    )
    users = context["users"]
    for username, _first, _last, role in DEMO_USERS:
        Membership.objects.get_or_create(team=team, user=users[username], defaults={"role": role})
        # The English seeds ran as these people: their remembered roles do not know this team yet.
        forget_roles(users[username])
    return {"team": team, "users": users}
