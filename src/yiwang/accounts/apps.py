from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "yiwang.accounts"
    label = "accounts"
    verbose_name = "账号与身份"

    def ready(self) -> None:
        # Authentication events → audit log (see the module's docstring for why these are signals).
        from yiwang.accounts import signals  # noqa: F401
