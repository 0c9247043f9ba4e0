from django.urls import path

from . import views

app_name = "personas"

urlpatterns = [
    path("", views.persona_list, name="list"),
    path("new/", views.persona_create, name="create"),
    path("<int:persona_pk>/", views.persona_detail, name="detail"),
    path("<int:persona_pk>/edit/", views.persona_edit, name="edit"),
    path("<int:persona_pk>/rules/", views.persona_rules, name="rules"),
    path("<int:persona_pk>/archive/", views.persona_archive, name="archive"),
    path("<int:persona_pk>/restore/", views.persona_restore, name="restore"),
    path("<int:persona_pk>/delete/", views.persona_delete, name="delete"),
    path("<int:persona_pk>/scenarios/new/", views.scenario_create, name="scenario_create"),
    path("<int:persona_pk>/scenarios/<int:scenario_pk>/", views.scenario_card, name="scenario_card"),
    path("<int:persona_pk>/scenarios/<int:scenario_pk>/edit/", views.scenario_edit, name="scenario_edit"),
    path("<int:persona_pk>/scenarios/<int:scenario_pk>/delete/", views.scenario_delete, name="scenario_delete"),
]
