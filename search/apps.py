from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = _("Search")

    def ready(self):
        # Personas, scenarios, experiments and playbooks are indexed as they are saved; maps and
        # answers catch up when someone searches (search/indexing.py says why).
        from . import signals

        signals.connect()
