from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    """工作日历: official holidays and 调休 days, and the working-day arithmetic every time limit uses."""

    name = "yiwang.workdays"
    verbose_name = "工作日历"
    default_auto_field = "django.db.models.BigAutoField"
