"""Pages of journey maps: the list, the map page and its inline edits, versions, compare, import/export."""

from django.urls import path

from . import lane_views, views

app_name = "journeys"

urlpatterns = [
    path("", views.map_list, name="map_list"),
    path("new/", views.map_create, name="map_create"),
    path("import/", views.map_import, name="map_import"),
    path("portfolio/", views.portfolio, name="portfolio"),
    path("templates/", views.template_list, name="template_list"),
    path("templates/use/", views.template_use, name="template_use"),
    path("templates/<int:template_pk>/delete/", views.template_delete, name="template_delete"),
    path("<int:map_pk>/", views.map_detail, name="map_detail"),
    path("<int:map_pk>/edit/", views.map_edit, name="map_edit"),
    path("<int:map_pk>/delete/", views.map_delete, name="map_delete"),
    path("<int:map_pk>/history/", views.map_history, name="map_history"),
    path("<int:map_pk>/export.json", views.map_export, name="map_export"),
    path("<int:map_pk>/save-as-template/", views.map_save_template, name="map_save_template"),
    path("<int:map_pk>/share/", views.map_share, name="map_share"),
    path("<int:map_pk>/share/<int:link_pk>/revoke/", views.share_link_revoke, name="share_link_revoke"),
    path("<int:map_pk>/touchpoints.csv", views.map_touchpoints_csv, name="map_touchpoints_csv"),
    path("<int:map_pk>/stages/add/", views.part_add, {"kind": "stage"}, name="stage_add"),
    path("<int:map_pk>/stages/<int:stage_pk>/", views.part_edit, {"kind": "stage"}, name="stage_edit"),
    path("<int:map_pk>/stages/<int:stage_pk>/move/", views.stage_move, name="stage_move"),
    path("<int:map_pk>/stages/<int:stage_pk>/inline/", views.part_inline, {"kind": "stage"}, name="stage_inline"),
    path("<int:map_pk>/stages/<int:stage_pk>/delete/", views.part_delete, {"kind": "stage"}, name="stage_delete"),
    path(
        "<int:map_pk>/stages/<int:stage_pk>/touchpoints/add/",
        views.part_add,
        {"kind": "touchpoint"},
        name="touchpoint_add",
    ),
    path(
        "<int:map_pk>/touchpoints/<int:touchpoint_pk>/", views.part_edit, {"kind": "touchpoint"}, name="touchpoint_edit"
    ),
    path("<int:map_pk>/touchpoints/<int:touchpoint_pk>/move/", views.touchpoint_move, name="touchpoint_move"),
    path(
        "<int:map_pk>/touchpoints/<int:touchpoint_pk>/inline/",
        views.part_inline,
        {"kind": "touchpoint"},
        name="touchpoint_inline",
    ),
    path(
        "<int:map_pk>/touchpoints/<int:touchpoint_pk>/delete/",
        views.part_delete,
        {"kind": "touchpoint"},
        name="touchpoint_delete",
    ),
    path("<int:map_pk>/touchpoints/<int:touchpoint_pk>/history/", views.touchpoint_history, name="touchpoint_history"),
    path(
        "<int:map_pk>/touchpoints/<int:touchpoint_pk>/pain-points/add/",
        views.part_add,
        {"kind": "pain_point"},
        name="pain_point_add",
    ),
    path(
        "<int:map_pk>/pain-points/<int:pain_point_pk>/", views.part_edit, {"kind": "pain_point"}, name="pain_point_edit"
    ),
    path(
        "<int:map_pk>/pain-points/<int:pain_point_pk>/delete/",
        views.part_delete,
        {"kind": "pain_point"},
        name="pain_point_delete",
    ),
    path("<int:map_pk>/undo/", views.map_undo, name="map_undo"),
    path("<int:map_pk>/publish/", views.map_publish, name="map_publish"),
    path("<int:map_pk>/versions/", views.version_list, name="version_list"),
    path("<int:map_pk>/versions/<int:number>/", views.version_detail, name="version_detail"),
    path("<int:map_pk>/versions/<int:number>/restore/", views.version_restore, name="version_restore"),
    path("<int:map_pk>/compare/", views.map_compare, name="map_compare"),
    path("<int:map_pk>/swimlanes/", lane_views.swimlanes, name="swimlanes"),
    path("<int:map_pk>/export.pdf", lane_views.map_export_picture, {"fmt": "pdf"}, name="map_export_pdf"),
    path("<int:map_pk>/export.png", lane_views.map_export_picture, {"fmt": "png"}, name="map_export_png"),
    path("<int:map_pk>/export.svg", lane_views.map_export_picture, {"fmt": "svg"}, name="map_export_svg"),
    path("<int:map_pk>/swimlanes/lanes/", lane_views.lane_settings, name="lane_settings"),
    path("<int:map_pk>/swimlanes/lanes/standard/", lane_views.lanes_standard, name="lanes_standard"),
    path("<int:map_pk>/swimlanes/lanes/<int:lane_pk>/", lane_views.lane_edit, name="lane_edit"),
    path("<int:map_pk>/swimlanes/lanes/<int:lane_pk>/move/", lane_views.lane_move, name="lane_move"),
    path("<int:map_pk>/swimlanes/lanes/<int:lane_pk>/delete/", lane_views.lane_delete, name="lane_delete"),
    path(
        "<int:map_pk>/swimlanes/lanes/<int:lane_pk>/cells/<int:stage_pk>/",
        lane_views.lane_cell_edit,
        name="lane_cell_edit",
    ),
]
