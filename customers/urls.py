from django.urls import path

from . import views

app_name = "customers"

urlpatterns = [
    path("", views.profile_list, name="profile_list"),
    path("profiles/<int:profile_pk>/", views.profile_detail, name="profile_detail"),
    path("sources/", views.source_list, name="source_list"),
    path("sources/<int:source_pk>/revoke/", views.source_revoke, name="source_revoke"),
]
