"""Staff pages of 好差评 under /workbench/evaluations/."""

from django.urls import path

from yiwang.evaluations import views_workbench as views

app_name = "evaluations_workbench"
urlpatterns = [
    path("", views.orders, name="orders"),
    path("reviews/", views.reviews, name="reviews"),
    path("orders/<int:order_id>/", views.order_detail, name="order"),
    path("orders/<int:order_id>/do/<slug:action>/", views.order_action, name="order_action"),
    path("orders/<int:order_id>/contact/", views.order_contact, name="order_contact"),
    path("stats/", views.stats_page, name="stats"),
    path("stats/export/", views.stats_export, name="export"),
    path("window/", views.window_page, name="window"),
    path("window/visits/<int:visit_id>/request/", views.visit_request, name="visit_request"),
    path("devices/", views.devices, name="devices"),
    path("devices/<int:device_id>/revoke/", views.device_revoke, name="device_revoke"),
]
