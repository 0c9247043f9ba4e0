"""Pages of owners, SLAs, hand-offs and playbooks: pages of a map, mounted under maps/ like journeys' own."""

from django.urls import path, re_path
from django.views.generic import RedirectView

from . import views

app_name = "owners"

urlpatterns = [
    path("my-ownership/", views.my_ownership, name="my_ownership"),
    path("<int:map_pk>/owners/", views.owners_panel, name="owners_panel"),
    path("<int:map_pk>/owners/touchpoints/<int:touchpoint_pk>/", views.owners_touchpoint, name="owners_touchpoint"),
    path("<int:map_pk>/owners/touchpoints/<int:touchpoint_pk>/row/", views.owners_row, name="owners_row"),
    path(
        "<int:map_pk>/owners/touchpoints/<int:touchpoint_pk>/people/",
        views.owners_add_person,
        name="owners_add_person",
    ),
    path("<int:map_pk>/owners/<int:ownership_pk>/remove/", views.ownership_delete, name="ownership_delete"),
    path("<int:map_pk>/handoffs/", views.handoff_list, name="owners_handoffs"),
    path("<int:map_pk>/handoffs/<int:handoff_pk>/", views.handoff_detail, name="handoff_detail"),
    path("<int:map_pk>/handoffs/<int:handoff_pk>/delete/", views.handoff_delete, name="handoff_delete"),
    path("<int:map_pk>/handoffs/cases/<int:case_pk>/done/", views.handoff_case_complete, name="handoff_case_complete"),
    path("<int:map_pk>/breaches/", views.breach_list, name="owners_breaches"),
    path("<int:map_pk>/playbooks/", views.playbook_list, name="playbook_list"),
    path("<int:map_pk>/playbooks/new/", views.playbook_create, name="playbook_create"),
    path("<int:map_pk>/playbooks/<int:playbook_pk>/", views.playbook_detail, name="playbook_detail"),
    path("<int:map_pk>/playbooks/<int:playbook_pk>/edit/", views.playbook_edit, name="playbook_edit"),
    path("<int:map_pk>/playbooks/<int:playbook_pk>/delete/", views.playbook_delete, name="playbook_delete"),
]

# The admin's addresses from when these models were journeys' (/admin/journeys/ownership/…): bookmarks
# and links in old emails land on the same page. config/urls.py mounts these before the admin.
admin_redirects = [
    re_path(
        r"^admin/journeys/(?P<model>ownership|sla|handoff|handoffcase|playbook)/(?P<rest>.*)$",
        RedirectView.as_view(url="/admin/owners/%(model)s/%(rest)s", permanent=True, query_string=True),
    ),
]
