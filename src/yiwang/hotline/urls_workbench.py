"""Staff pages of the hotline (/workbench/hotline/)."""

from django.urls import path

from yiwang.hotline import views_workbench as views

app_name = "hotline_workbench"
urlpatterns = [
    path("", views.queues, name="queues"),
    path("new/", views.intake, name="intake"),
    path("<int:ticket_id>/", views.ticket_detail, name="ticket"),
    path("<int:ticket_id>/do/<slug:action>/", views.ticket_action, name="action"),
    path("extensions/<int:extension_id>/decide/", views.extension_decide, name="extension_decide"),
    path("supervisions/<int:supervision_id>/respond/", views.supervision_respond, name="supervision_respond"),
    path("spot-checks/", views.spot_checks, name="spot_checks"),
    path("settings/", views.settings_page, name="settings"),
    path("analysis/", views.analysis_page, name="analysis"),
    path("analysis.csv", views.analysis_csv, name="analysis_csv"),
]
