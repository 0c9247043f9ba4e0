# Resources of the analytics app: (prefix, viewset, basename), registered by config/urls.py.
from .api_funnels import CohortViewSet, FunnelViewSet

routes: list = [
    ("funnels", FunnelViewSet, "funnel"),
    ("cohorts", CohortViewSet, "cohort"),
]

from .api_retention import AnalyticsRetentionViewSet  # noqa: E402

routes.append(("teams", AnalyticsRetentionViewSet, "analytics-retention"))
