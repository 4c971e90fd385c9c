from django.urls import path

from yiwang.workbench import calendar_views, case_views, catalog_views, views

app_name = "workbench"
urlpatterns = [
    path("", views.home, name="home"),
    path("persons/", views.persons, name="persons"),
    path("persons/<int:person_id>/", views.person, name="person"),
    path("audit/", views.audit_log, name="audit"),
    path("catalog/", catalog_views.item_list, name="catalog_list"),
    path("catalog/<int:item_id>/", catalog_views.item_edit, name="catalog_edit"),
    path("catalog/<int:item_id>/submit/", catalog_views.item_submit, name="catalog_submit"),
    path("catalog/<int:item_id>/diff/", catalog_views.version_diff, name="catalog_diff"),
    path("catalog/review/", catalog_views.review_queue, name="catalog_review_queue"),
    path("catalog/review/<int:change_id>/", catalog_views.review, name="catalog_review"),
    path("cases/", case_views.queues, name="cases"),
    path("cases/intake/", case_views.intake, name="case_intake"),
    path("cases/<int:case_id>/", case_views.case_detail, name="case"),
    path("cases/<int:case_id>/do/<slug:action>/", case_views.case_action, name="case_action"),
    path("cases/<int:case_id>/files/<int:upload_id>/", case_views.case_upload, name="case_upload"),
    path("cases/<int:case_id>/notices/<int:notice_id>/", case_views.case_notice, name="case_notice"),
    path("calendar/", calendar_views.calendar_home, name="calendar"),
    path("calendar/<int:year>/", calendar_views.calendar_year, name="calendar_year"),
    path("calendar/<int:year>/remove/", calendar_views.calendar_override_remove, name="calendar_override_remove"),
]
