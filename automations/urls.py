from django.urls import path

from . import views

app_name = "automations"

urlpatterns = [
    path("", views.automation_list, name="list"),
    path("new/", views.automation_create, name="create"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/<int:task_pk>/close/", views.task_close, name="task_close"),
    path("contact-rules/", views.contact_rules, name="contact_rules"),
    path("contact-rules/stage-caps/new/", views.stage_cap_create, name="stage_cap_create"),
    path("contact-rules/stage-caps/<int:cap_pk>/edit/", views.stage_cap_edit, name="stage_cap_edit"),
    path("contact-rules/stage-caps/<int:cap_pk>/delete/", views.stage_cap_delete, name="stage_cap_delete"),
    path("from-playbook/<int:playbook_pk>/", views.automation_from_playbook, name="from_playbook"),
    path("<int:automation_pk>/", views.automation_detail, name="detail"),
    path("<int:automation_pk>/edit/", views.automation_edit, name="edit"),
    path("<int:automation_pk>/activate/", views.automation_status, {"action": "activate"}, name="activate"),
    path("<int:automation_pk>/pause/", views.automation_status, {"action": "pause"}, name="pause"),
    path("<int:automation_pk>/delete/", views.automation_delete, name="delete"),
    path("<int:automation_pk>/dry-run/", views.automation_dry_run, name="dry_run"),
    path("<int:automation_pk>/steps/new/", views.step_add, name="step_add"),
    path("steps/<int:step_pk>/edit/", views.step_edit, name="step_edit"),
    path("steps/<int:step_pk>/delete/", views.step_delete, name="step_delete"),
    path("steps/<int:step_pk>/move/", views.step_move, name="step_move"),
    path("steps/<int:step_pk>/preview/", views.step_preview, name="step_preview"),
]
