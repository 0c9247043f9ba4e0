from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JourneysConfig(AppConfig):
    name = "journeys"
    verbose_name = _("Journey maps")

    def ready(self):
        # Owners, SLAs and hand-offs on the map page and in map health (issue 5).
        from .owner_selectors import register_extensions

        register_extensions()
