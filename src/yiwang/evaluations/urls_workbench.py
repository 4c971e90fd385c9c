"""Pages of evaluations (being built)."""

app_name = "evaluations_workbench"
urlpatterns: list = []
