"""Open311 GeoReport v2 (being built)."""

app_name = "open311"
urlpatterns: list = []
