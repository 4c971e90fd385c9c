from django.apps import AppConfig


class FilesConfig(AppConfig):
    """文件存储: uploaded materials, stored once by content (SHA-256), on disk or in S3-compatible storage."""

    name = "yiwang.files"
    verbose_name = "文件存储"
    default_auto_field = "django.db.models.BigAutoField"
