"""Review pages, mounted at reviews/ (the team dashboard is the site's home, see config/urls.py)."""

from django.urls import path

from . import views

app_name = "reviews"

urlpatterns = [
    path("", views.review_list, name="list"),
    path("maps/<int:map_pk>/", views.map_review, name="map_review"),
    path("maps/<int:map_pk>/action-row/", views.action_row, name="action_row"),
    path("<int:review_pk>/", views.review_detail, name="detail"),
    path("<int:review_pk>/delete/", views.review_delete, name="delete"),
    path("action-items/", views.action_item_list, name="action_items"),
    path("action-items/<int:item_pk>/toggle/", views.action_item_toggle, name="action_item_toggle"),
    path("settings/", views.review_settings, name="settings"),
]
