from django.apps import AppConfig


class JourneysConfig(AppConfig):
    name = "journeys"
    verbose_name = "Journey maps"

    def ready(self):
        # Owners, SLAs and hand-offs on the map page and in map health (issue 5).
        from .owner_selectors import register_extensions

        register_extensions()
