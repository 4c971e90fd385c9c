from django.urls import path

from yiwang.workbench import views

app_name = "workbench"
urlpatterns = [
    path("", views.home, name="home"),
    path("persons/", views.persons, name="persons"),
    path("persons/<int:person_id>/", views.person, name="person"),
    path("audit/", views.audit_log, name="audit"),
]
