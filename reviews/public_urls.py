"""Anonymous review endpoints, mounted at api/public/reviews/: the digest's one-click unsubscribe."""

from django.urls import path

from . import views

app_name = "reviews_public"

urlpatterns = [
    path("digest/unsubscribe/<str:token>/", views.digest_unsubscribe, name="unsubscribe"),
]
