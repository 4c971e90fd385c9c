"""Pages of hotline (being built)."""

app_name = "hotline_workbench"
urlpatterns: list = []
