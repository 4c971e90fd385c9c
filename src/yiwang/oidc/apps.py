from django.apps import AppConfig


class OidcConfig(AppConfig):
    name = "yiwang.oidc"
    label = "oidc"
    verbose_name = "统一身份认证（OpenID Connect）"

    def ready(self) -> None:
        from yiwang.oidc import keyring

        keyring.install()  # DOT reads its signing keys from our SigningKey table (see keyring's docstring)
