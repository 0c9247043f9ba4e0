# Resources of the analytics app: (prefix, viewset, basename), registered by config/urls.py.
from .api_funnels import CohortViewSet, FunnelViewSet

routes: list = [
    ("funnels", FunnelViewSet, "funnel"),
    ("cohorts", CohortViewSet, "cohort"),
]
