from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = "Teams"

    def ready(self):
        from . import languages  # noqa: F401  (connects the login receiver)
