from django.urls import path

from . import views

app_name = "feedback"

urlpatterns = [
    path("", views.survey_list, name="survey_list"),
    path("surveys/new/", views.survey_create, name="survey_create"),
    path("surveys/<int:survey_pk>/", views.survey_detail, name="survey_detail"),
    path("surveys/<int:survey_pk>/edit/", views.survey_edit, name="survey_edit"),
    path("surveys/<int:survey_pk>/status/", views.survey_status, name="survey_status"),
    path("surveys/<int:survey_pk>/delete/", views.survey_delete, name="survey_delete"),
    path("surveys/<int:survey_pk>/preview/", views.survey_preview, name="survey_preview"),
    path("surveys/<int:survey_pk>/questions/new/", views.question_create, name="question_create"),
    path("surveys/<int:survey_pk>/questions/<int:question_pk>/", views.question_edit, name="question_edit"),
    path("surveys/<int:survey_pk>/questions/<int:question_pk>/delete/", views.question_delete, name="question_delete"),
    path("surveys/<int:survey_pk>/questions/<int:question_pk>/move/", views.question_move, name="question_move"),
    path("maps/<int:map_pk>/scores/", views.map_scores, name="map_scores"),
    path("responses/", views.response_list, name="response_list"),
    path("responses/export.csv", views.response_export, name="response_export"),
    path("responses/<int:response_pk>/themes/", views.response_themes, name="response_themes"),
    path("follow-ups/", views.my_followups, name="my_followups"),
    path("follow-ups/<int:followup_pk>/", views.followup_action, name="followup_action"),
    path("themes/", views.theme_list, name="theme_list"),
    path("themes/<int:theme_pk>/delete/", views.theme_delete, name="theme_delete"),
]
