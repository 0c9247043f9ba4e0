"""Pages of journey maps: the list, the map page and its inline edits, versions, compare, import/export."""

from django.urls import include, path

from . import views

app_name = "journeys"

urlpatterns = [
    path("", views.map_list, name="map_list"),
    path("<int:map_pk>/", views.map_detail, name="map_detail"),
    # Owners, SLAs, hand-offs, playbooks and "My ownership" (issue 5).
    path("", include("journeys.owner_urls")),
]
