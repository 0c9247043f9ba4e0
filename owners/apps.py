from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OwnersConfig(AppConfig):
    name = "owners"
    verbose_name = _("Owners")

    def ready(self):
        # Owners, SLAs and hand-offs on the map page and in map health.
        from .selectors import register_extensions

        register_extensions()
