from django.apps import AppConfig


class CasesConfig(AppConfig):
    """统一受理与办件: every case from application to closure, online and at any window."""

    name = "yiwang.cases"
    verbose_name = "办件"
    default_auto_field = "django.db.models.BigAutoField"
