"""URL map: public portal, accounts, staff workbench, the API."""

from __future__ import annotations

from django.urls import include, path

from yiwang.accounts import identity_views as accounts_identity_views
from yiwang.api.urls import api
from yiwang.oidc.provider_urls import root_urlpatterns as oidc_root_urlpatterns
from yiwang.portal import views as portal_views

urlpatterns = [
    path("", include("yiwang.portal.urls")),
    path("guide/", include("yiwang.catalog.urls")),
    path("", include("yiwang.cases.urls_portal")),  # /apply/, /my/cases/, /progress/ (citizens' cases)
    path("verify/", include("yiwang.licenses.urls_verify")),  # 公共验证服务 (the QR on every licence)
    path("", include("yiwang.licenses.urls_portal")),  # /my/licenses/ 我的证照, /licenses/shared/<token>/
    path("", include("yiwang.evaluations.urls_portal")),  # 好差评: rating pages (一事一评, the hall tablet)
    path("", include("yiwang.hotline.urls_portal")),  # 12345 诉求: the public form, 我的诉求
    path("open311/v2/", include("yiwang.hotline.urls_open311")),  # Open311 GeoReport v2
    path("accounts/", include("yiwang.accounts.urls")),
    path("accounts/", include("yiwang.accounts.identity_urls")),  # registration, enterprises, 授权, 办事身份
    path("dev/sms/", accounts_identity_views.dev_sms_inbox, name="dev_sms"),  # 404 unless DEBUG
    path("workbench/catalog/import/", include("yiwang.catalog.import_urls")),
    path("workbench/oidc/", include("yiwang.oidc.urls")),
    path("workbench/evaluations/", include("yiwang.evaluations.urls_workbench")),
    path("workbench/hotline/", include("yiwang.hotline.urls_workbench")),
    path("workbench/", include("yiwang.workbench.urls")),
    path("files/", include("yiwang.files.urls")),  # downloads of one's own uploads
    path("home/", portal_views.after_login, name="home"),
    path("healthz", portal_views.healthz, name="healthz"),
    path("api/v1/", api.urls),
    # OpenID Connect provider (统一身份认证): issuer <site>/o; discovery also at the site root.
    path("o/", include("yiwang.oidc.provider_urls")),
    *oidc_root_urlpatterns,
]
