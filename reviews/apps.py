from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Reviews")

    def ready(self):
        # "No review for 14 days" lowers a map's health (journeys/health.py asks every check).
        from journeys.extensions import register_health_check

        from .selectors import review_health

        register_health_check(review_health)

        # The digest's one-click unsubscribe stops mention emails too: one "no email" for a person.
        from discussions.extensions import register_email_opt_out

        from .selectors import digest_opted_out

        register_email_opt_out(digest_opted_out)
