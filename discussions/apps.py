from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiscussionsConfig(AppConfig):
    name = "discussions"
    verbose_name = _("Discussions")

    def ready(self):
        # Comment counts on the board's stages and touchpoints, and the presence and discussion bar
        # above it: journeys never imports this app, it asks its registry (journeys/extensions.py).
        from .board import register_extensions

        register_extensions()
