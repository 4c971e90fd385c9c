from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    """好差评: rate every service (一事一评, 一次一评) and close every bad review (差评核实、整改、回访)."""

    name = "yiwang.evaluations"
    verbose_name = "好差评"
    default_auto_field = "django.db.models.BigAutoField"
