from django.urls import path

from . import views, webhook_views

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
    path("<slug:team_slug>/webhooks/", webhook_views.webhooks_list, name="webhooks"),
    path("<slug:team_slug>/webhooks/<int:endpoint_pk>/", webhook_views.webhook_detail, name="webhook_detail"),
    path("<slug:team_slug>/webhooks/<int:endpoint_pk>/edit/", webhook_views.webhook_edit, name="webhook_edit"),
    path("<slug:team_slug>/webhooks/<int:endpoint_pk>/delete/", webhook_views.webhook_delete, name="webhook_delete"),
    path("<slug:team_slug>/webhooks/<int:endpoint_pk>/test/", webhook_views.webhook_send_test, name="webhook_test"),
    path(
        "<slug:team_slug>/webhooks/<int:endpoint_pk>/rotate-secret/",
        webhook_views.webhook_rotate_secret,
        name="webhook_rotate_secret",
    ),
    path(
        "<slug:team_slug>/webhooks/<int:endpoint_pk>/deliveries/<uuid:delivery_pk>/",
        webhook_views.webhook_delivery,
        name="webhook_delivery",
    ),
    path(
        "<slug:team_slug>/webhooks/<int:endpoint_pk>/deliveries/<uuid:delivery_pk>/replay/",
        webhook_views.webhook_delivery_replay,
        name="webhook_delivery_replay",
    ),
]
