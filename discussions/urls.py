from django.urls import path

from . import views

app_name = "discussions"

urlpatterns = [
    path("maps/<int:map_pk>/threads/", views.threads_panel, {"kind": "map"}, name="map_threads"),
    path(
        "maps/<int:map_pk>/stages/<int:stage_pk>/threads/", views.threads_panel, {"kind": "stage"}, name="stage_threads"
    ),
    path(
        "maps/<int:map_pk>/touchpoints/<int:touchpoint_pk>/threads/",
        views.threads_panel,
        {"kind": "touchpoint"},
        name="touchpoint_threads",
    ),
    path("maps/<int:map_pk>/presence/", views.presence, name="presence"),
    path("threads/<int:thread_pk>/", views.thread_detail, name="thread_detail"),
    path("threads/<int:thread_pk>/reply/", views.thread_reply, name="thread_reply"),
    path("threads/<int:thread_pk>/resolve/", views.thread_resolve, name="thread_resolve"),
    path("threads/<int:thread_pk>/reopen/", views.thread_reopen, name="thread_reopen"),
    path("comments/<int:comment_pk>/edit/", views.comment_edit, name="comment_edit"),
    path("comments/<int:comment_pk>/delete/", views.comment_delete, name="comment_delete"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/bell/", views.notification_bell, name="bell"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:notification_pk>/open/", views.notification_open, name="notification_open"),
]
