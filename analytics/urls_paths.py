from django.urls import path

from . import views_paths

urlpatterns = [
    path("paths/", views_paths.paths_page, name="paths"),
    path("maps/<int:map_pk>/paths/", views_paths.map_paths, name="map_paths"),
    path("maps/<int:map_pk>/paths/touchpoints/", views_paths.paths_add_touchpoint, name="paths_add_touchpoint"),
]
