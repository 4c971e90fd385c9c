"""Public pages of the hotline: the 诉求 form and 我的诉求."""

from django.urls import path

from yiwang.hotline import views_portal

app_name = "hotline_portal"
urlpatterns = [
    path("hotline/new/", views_portal.ticket_new, name="new"),
    path("my/requests/", views_portal.my_requests, name="mine"),
    path("my/requests/<int:ticket_id>/", views_portal.my_request, name="mine_detail"),
]
