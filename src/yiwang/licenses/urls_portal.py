"""The holder's pages: 我的证照 (/my/licenses/…) and shared links (/licenses/shared/<token>/)."""

from django.urls import path

from yiwang.licenses import views_portal as views

app_name = "licenses"
urlpatterns = [
    path("my/licenses/", views.wallet, name="wallet"),
    path("my/licenses/<int:license_id>/", views.license_detail, name="license"),
    path("my/licenses/<int:license_id>/face.pdf", views.license_pdf, name="pdf"),
    path("my/licenses/<int:license_id>/show/", views.show_create, name="show_create"),
    path("my/licenses/<int:license_id>/show/<int:code_id>/", views.show_code, name="show"),
    path("my/licenses/<int:license_id>/share/", views.share_create, name="share"),
    path("my/licenses/shares/<int:share_id>/revoke/", views.share_revoke, name="share_revoke"),
    path("my/licenses/<int:license_id>/dispute/", views.dispute_raise, name="dispute"),
    path("licenses/shared/<str:token>/", views.shared, name="shared"),
    path("licenses/shared/<str:token>/face.pdf", views.shared_pdf, name="shared_pdf"),
]
