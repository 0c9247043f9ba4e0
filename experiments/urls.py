from django.urls import path

from . import views

app_name = "experiments"

urlpatterns = [
    path("", views.experiment_list, name="list"),
    path("new/", views.experiment_create, name="create"),
    path("<int:experiment_pk>/", views.experiment_detail, name="detail"),
    path("<int:experiment_pk>/edit/", views.experiment_edit, name="edit"),
    path("<int:experiment_pk>/transition/", views.experiment_transition, name="transition"),
    path("<int:experiment_pk>/conclude/", views.experiment_conclude, name="conclude"),
    path("metrics/", views.metric_list, name="metric_list"),
    path("metrics/<int:metric_pk>/", views.metric_detail, name="metric_detail"),
    path("metrics/<int:metric_pk>/observations/", views.observation_add, name="observation_add"),
    path("metrics/<int:metric_pk>/import/", views.observation_import, name="observation_import"),
    path("metrics/<int:metric_pk>/survey/", views.metric_from_survey, name="metric_from_survey"),
    path("observations/<int:observation_pk>/delete/", views.observation_delete, name="observation_delete"),
]
