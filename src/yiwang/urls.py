"""URL map: public portal, accounts, staff workbench, the API."""

from __future__ import annotations

from django.urls import include, path

from yiwang.api.urls import api
from yiwang.portal import views as portal_views

urlpatterns = [
    path("", include("yiwang.portal.urls")),
    path("guide/", include("yiwang.catalog.urls")),
    path("accounts/", include("yiwang.accounts.urls")),
    path("workbench/catalog/import/", include("yiwang.catalog.import_urls")),
    path("workbench/", include("yiwang.workbench.urls")),
    path("home/", portal_views.after_login, name="home"),
    path("healthz", portal_views.healthz, name="healthz"),
    path("api/v1/", api.urls),
]
