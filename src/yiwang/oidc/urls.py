"""Workbench pages of the OpenID Connect provider, mounted at ``/workbench/oidc/``."""

from django.urls import path

from yiwang.oidc import views

app_name = "oidc"
urlpatterns = [
    path("clients/", views.client_list, name="client_list"),
    path("clients/new/", views.client_register, name="client_register"),
    path("clients/<int:application_id>/", views.client_detail, name="client_detail"),
    path("clients/<int:application_id>/reset-secret/", views.client_reset_secret, name="client_reset_secret"),
]
