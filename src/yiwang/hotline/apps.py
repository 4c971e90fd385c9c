from django.apps import AppConfig


class HotlineConfig(AppConfig):
    """12345 政务服务便民热线 and the 办不成事 window: carry every citizen request (诉求) to the end."""

    name = "yiwang.hotline"
    verbose_name = "12345热线"
    default_auto_field = "django.db.models.BigAutoField"
