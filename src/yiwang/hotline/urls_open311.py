"""Open311 GeoReport v2 (``/open311/v2/``): see ``yiwang.hotline.open311``."""

from django.urls import re_path

from yiwang.hotline import open311

app_name = "open311"
FMT = r"\.(?P<fmt>json|xml)$"
urlpatterns = [
    re_path(r"^discovery" + FMT, open311.discovery, name="discovery"),
    re_path(r"^services" + FMT, open311.service_list, name="services"),
    re_path(r"^services/(?P<code>[0-9A-Za-z_-]{1,20})" + FMT, open311.service_definition, name="service"),
    re_path(r"^requests" + FMT, open311.requests_view, name="requests"),
    re_path(r"^requests/(?P<request_id>[0-9A-Za-z_-]{1,40})" + FMT, open311.request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[0-9A-Za-z_-]{1,64})" + FMT, open311.token_detail, name="token"),
]
