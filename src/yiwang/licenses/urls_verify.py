"""公共验证服务 pages: /verify/ (type an identifier or upload a PDF), /verify/<identifier>/ (the QR target)."""

from django.urls import path

from yiwang.licenses import views_verify

app_name = "verify"
urlpatterns = [
    path("", views_verify.verify_home, name="home"),
    path("<str:identifier>/", views_verify.verify_detail, name="detail"),
]
