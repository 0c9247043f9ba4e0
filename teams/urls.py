from django.urls import path

from . import views

app_name = "teams"

urlpatterns = [
    path("switch/", views.team_switch, name="switch"),
    path("new/", views.team_create, name="create"),
    path("<slug:team_slug>/settings/", views.team_settings, name="settings"),
    path("<slug:team_slug>/members/", views.members, name="members"),
    path("<slug:team_slug>/members/<int:membership_pk>/role/", views.member_role, name="member_role"),
    path("<slug:team_slug>/members/<int:membership_pk>/remove/", views.member_remove, name="member_remove"),
    path("<slug:team_slug>/api-keys/", views.api_keys, name="api_keys"),
    path("<slug:team_slug>/api-keys/<int:key_pk>/revoke/", views.api_key_revoke, name="api_key_revoke"),
]
