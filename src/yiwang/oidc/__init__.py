"""统一身份认证 OpenID Connect provider: one account, one login for every department system."""
