from django.urls import path

from yiwang.workbench import calendar_views, case_views, catalog_views, license_views, views

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
    # 电子印章 / 互认信任列表 / 用证 / 证照管理 (license_views)
    path("seals/", license_views.seal_list, name="seals"),
    path("seals/<int:seal_id>/", license_views.seal_detail, name="seal"),
    path("seals/<int:seal_id>/revoke/", license_views.seal_revoke, name="seal_revoke"),
    path("seals/<int:seal_id>/certificate.pem", license_views.seal_certificate, name="seal_certificate"),
    path(
        "seals/authorities/<int:authority_id>/certificate.pem",
        license_views.authority_certificate,
        name="authority_certificate",
    ),
    path("trust/", license_views.trust_list, name="trust"),
    path("trust/<int:issuer_id>/remove/", license_views.trust_remove, name="trust_remove"),
    path("licenses/", license_views.license_list, name="licenses"),
    path("licenses/use/", license_views.license_use, name="license_use"),
    path("licenses/disputes/", license_views.dispute_list, name="license_disputes"),
    path("licenses/disputes/<int:dispute_id>/", license_views.dispute_detail, name="license_dispute"),
    path("licenses/<int:license_id>/", license_views.license_detail, name="license"),
    path("licenses/<int:license_id>/pdf/", license_views.license_pdf, name="license_pdf"),
    path("licenses/<int:license_id>/status/", license_views.license_status, name="license_status"),
    path("licenses/<int:license_id>/correct/", license_views.license_correct, name="license_correct"),
]
