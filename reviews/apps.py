from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews"

    def ready(self):
        # "No review for 14 days" lowers a map's health (journeys/health.py asks every check).
        from journeys.extensions import register_health_check

        from .selectors import review_health

        register_health_check(review_health)
