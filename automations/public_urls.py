"""Anonymous automation endpoints, mounted at api/public/automations/: the email's unsubscribe link."""

from django.urls import path

from . import views

app_name = "automations_public"

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
