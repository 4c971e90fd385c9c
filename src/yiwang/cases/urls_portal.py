"""Citizen pages of cases, mounted at the site root: 在线申请, 我的办件, 办件进度查询."""

from django.urls import path

from yiwang.cases import views_portal as views

app_name = "cases_portal"
urlpatterns = [
    path("apply/<int:item_id>/", views.apply, name="apply"),
    path("apply/<int:item_id>/draft/", views.apply_draft, name="apply_draft"),
    path("my/cases/", views.my_cases, name="my_cases"),
    path("my/cases/<int:case_id>/", views.case_detail, name="case"),
    path("my/cases/<int:case_id>/supplement/", views.case_supplement, name="supplement"),
    path("my/cases/<int:case_id>/withdraw/", views.case_withdraw, name="withdraw"),
    path("my/cases/<int:case_id>/delivery/", views.case_delivery, name="delivery"),
    path("my/cases/<int:case_id>/deferred/", views.case_deferred, name="deferred"),
    path("my/cases/<int:case_id>/notices/<int:notice_id>.pdf", views.case_notice_pdf, name="notice_pdf"),
    path("progress/", views.progress, name="progress"),
]
