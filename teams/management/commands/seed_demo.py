from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

# Each app's demo.py has seed(context) -> dict; later apps see what earlier ones made. An app may
# also have seed_zh_hant(context): the same for the team that works in Traditional Chinese, which
# gets a context of its own (its team, the same people) after the English demo is in place.
DEMO_APPS = [
    "personas",
    "journeys",
    "owners",
    "customers",
    "analytics",
    "feedback",
    "experiments",
    "automations",
    "discussions",
    "reviews",
    "search",
]


def _demo_module(app: str):
    try:
        return import_module(f"{app}.demo")
    except ModuleNotFoundError as exc:
        if exc.name != f"{app}.demo":
            raise
        return None


class Command(BaseCommand):
    help = "Load the demo team, people and data. Safe to run again: nothing is duplicated."

    def handle(self, *args, **options):
        from teams import demo as team_demo

        with transaction.atomic():
            context = team_demo.seed()
            modules = [module for module in map(_demo_module, DEMO_APPS) if module is not None]
            for module in modules:
                context.update(module.seed(context) or {})
            zh_context = team_demo.seed_zh_hant(context)
            for module in modules:
                if hasattr(module, "seed_zh_hant"):
                    zh_context.update(module.seed_zh_hant(zh_context) or {})
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"Teams: {context['team'].name} (English) and {zh_context['team'].name} (繁體中文).")
        self.stdout.write(
            f"Demo login: username “demo” (team admin), “editor” or “viewer”, "
            f"password “{settings.WAYMARK_DEMO_PASSWORD}”."
        )
