# Resources of the analytics app: (prefix, viewset, basename), registered by config/urls.py.
routes: list = []

from .api_retention import AnalyticsRetentionViewSet  # noqa: E402

routes.append(("teams", AnalyticsRetentionViewSet, "analytics-retention"))
