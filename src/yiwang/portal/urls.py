from django.urls import path

from yiwang.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("departments/", views.departments, name="departments"),
    path("venues/", views.venues, name="venues"),
    path("ui/large-text/", views.toggle_large_text, name="toggle_large_text"),
]
