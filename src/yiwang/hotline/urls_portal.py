"""Pages of hotline (being built)."""

app_name = "hotline_portal"
urlpatterns: list = []
