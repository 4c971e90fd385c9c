"""Pages of evaluations (being built)."""

app_name = "evaluations_portal"
urlpatterns: list = []
