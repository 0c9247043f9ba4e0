from django.urls import path

from . import views_retention

urlpatterns = [
    path("retention/", views_retention.retention, name="retention"),
    path("lifecycle/", views_retention.lifecycle, name="lifecycle"),
    path("moments/", views_retention.moments, name="moments"),
]
