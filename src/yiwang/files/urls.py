from django.urls import path

from yiwang.files import views

app_name = "files"
urlpatterns = [
    path("<int:upload_id>/", views.upload_content, name="content"),
]
