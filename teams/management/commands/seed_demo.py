from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

# Each app's demo.py has seed(context) -> dict; later apps see what earlier ones made.
DEMO_APPS = ["personas", "journeys", "customers", "feedback", "experiments", "reviews"]


class Command(BaseCommand):
    help = "Load the demo team, people and data. Safe to run again: nothing is duplicated."

    def handle(self, *args, **options):
        from teams import demo as team_demo

        with transaction.atomic():
            context = team_demo.seed()
            for app in DEMO_APPS:
                try:
                    module = import_module(f"{app}.demo")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{app}.demo":
                        raise
                    continue
                context.update(module.seed(context) or {})
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(
            f"Demo login: username “demo” (team admin), “editor” or “viewer”, "
            f"password “{settings.WAYMARK_DEMO_PASSWORD}”."
        )
