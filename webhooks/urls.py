"""Team admins' webhook pages, under the team's settings (mounted at ``teams/``)."""

from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("<slug:team_slug>/webhooks/", views.webhooks_list, name="list"),
    path("<slug:team_slug>/webhooks/<int:endpoint_pk>/", views.webhook_detail, name="detail"),
    path("<slug:team_slug>/webhooks/<int:endpoint_pk>/edit/", views.webhook_edit, name="edit"),
    path("<slug:team_slug>/webhooks/<int:endpoint_pk>/delete/", views.webhook_delete, name="delete"),
    path("<slug:team_slug>/webhooks/<int:endpoint_pk>/test/", views.webhook_send_test, name="test"),
    path(
        "<slug:team_slug>/webhooks/<int:endpoint_pk>/rotate-secret/",
        views.webhook_rotate_secret,
        name="rotate_secret",
    ),
    path(
        "<slug:team_slug>/webhooks/<int:endpoint_pk>/deliveries/<uuid:delivery_pk>/",
        views.webhook_delivery,
        name="delivery",
    ),
    path(
        "<slug:team_slug>/webhooks/<int:endpoint_pk>/deliveries/<uuid:delivery_pk>/replay/",
        views.webhook_delivery_replay,
        name="delivery_replay",
    ),
]
