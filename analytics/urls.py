from django.urls import path

from . import views_funnels
from .urls_paths import urlpatterns as paths_urlpatterns
from .urls_retention import urlpatterns as retention_urlpatterns

app_name = "analytics"

urlpatterns: list = [
    path("funnels/", views_funnels.funnel_page, name="funnels"),
    path("funnels/map/<int:map_pk>/", views_funnels.map_funnel, name="map_funnel"),
    path("funnels/map/<int:map_pk>/versions/", views_funnels.map_versions, name="map_versions"),
    path("funnels/dropped/cohort/", views_funnels.dropped_cohort, name="dropped_cohort"),
    path("cohorts/", views_funnels.cohort_list, name="cohort_list"),
    path("cohorts/new/", views_funnels.cohort_new, name="cohort_new"),
    path("cohorts/<int:cohort_pk>/", views_funnels.cohort_detail, name="cohort_detail"),
    path("cohorts/<int:cohort_pk>/csv/", views_funnels.cohort_csv, name="cohort_csv"),
    *retention_urlpatterns,
    *paths_urlpatterns,
]
