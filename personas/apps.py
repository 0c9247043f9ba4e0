from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PersonasConfig(AppConfig):
    name = "personas"
    verbose_name = _("Personas")

    def ready(self) -> None:
        from . import media  # noqa: F401 - connects the photo clean-up signals
