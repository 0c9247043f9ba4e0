from django.urls import path

from . import views

app_name = "customers"

urlpatterns = [
    path("", views.profile_list, name="profile_list"),
    path("profiles/<int:profile_pk>/", views.profile_detail, name="profile_detail"),
    path("profiles/<int:profile_pk>/export/", views.profile_export, name="profile_export"),
    path("privacy/", views.privacy, name="privacy"),
    path("privacy/erase/", views.profile_erase, name="profile_erase"),
    path("sources/", views.source_list, name="source_list"),
    path("sources/<int:source_pk>/revoke/", views.source_revoke, name="source_revoke"),
    path("sources/<int:source_pk>/", views.source_detail, name="source_detail"),
    path("maps/<int:map_pk>/unmapped/", views.unmapped_events, name="unmapped_events"),
    path("maps/<int:map_pk>/unmapped/add/", views.unmapped_add, name="unmapped_add"),
]
