# Resources of the analytics app: (prefix, viewset, basename), registered by config/urls.py.
from .api_funnels import CohortViewSet, FunnelViewSet
from .api_paths import PathsViewSet
from .api_retention import AnalyticsRetentionViewSet

routes: list = [
    ("funnels", FunnelViewSet, "funnel"),
    ("cohorts", CohortViewSet, "cohort"),
    ("teams", AnalyticsRetentionViewSet, "analytics-retention"),
    ("paths", PathsViewSet, "paths"),
]
