"""Django settings for Yiwang, read from the environment (see ``.env.example``).

One settings module for every deployment: development, test and production differ only by environment
variables. With ``DEBUG`` off (the default) every secret must be given and the security settings make
``manage.py check --deploy`` pass with no warnings (``tests/core/test_settings.py`` asserts it).
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import dj_database_url

from yiwang.env import SettingError, env_bool, env_int, env_list, env_seconds, env_str

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = PACKAGE_DIR.parent.parent
VAR_DIR = Path(env_str("YIWANG_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

# --- secrets -------------------------------------------------------------------------------------------
_DEV_SECRET = "dev-only-yiwang-secret-key-not-for-production-0123456789abcdefghijklmnop"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET if DEBUG else None, required=not DEBUG)


def _data_key(raw: str, name: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(raw.encode() + b"=" * (-len(raw) % 4))
    except (ValueError, TypeError) as exc:
        raise SettingError(f"{name} 必须是 base64 编码的 32 字节密钥 (generate: yiwang genkey)") from exc
    if len(key) != 32:
        raise SettingError(f"{name} 必须是 32 字节 (got {len(key)}); generate one with: yiwang genkey")
    return key


# 个人信息加密密钥: AES-256-GCM for personal identifiers; HMAC sub-key for the blind index.
_DEV_DATA_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"yiwang-dev-data-key").digest()).decode()
YIWANG_DATA_KEY = _data_key(
    env_str("YIWANG_DATA_KEY", _DEV_DATA_KEY if DEBUG else None, required=not DEBUG), "YIWANG_DATA_KEY"
)
# Older keys still able to decrypt (comma separated), for key rotation.
YIWANG_DATA_KEYS_RETIRED = [
    _data_key(raw, "YIWANG_DATA_KEYS_RETIRED") for raw in env_list("YIWANG_DATA_KEYS_RETIRED", [])
]

# --- hosts and security --------------------------------------------------------------------------------
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise SettingError("ALLOWED_HOSTS 必须设置 (comma separated host names) when DEBUG is off")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

SECURE_SSL_REDIRECT = env_bool("YIWANG_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("YIWANG_BEHIND_PROXY") else None
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("YIWANG_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env_bool("YIWANG_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("YIWANG_SESSION_SECONDS", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy: everything from our own origin; nothing inline, nothing from a CDN.
YIWANG_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

# --- applications --------------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "ninja",
    "oauth2_provider",
    "yiwang.core",
    "yiwang.regions",
    "yiwang.accounts",
    "yiwang.audit",
    "yiwang.catalog",
    "yiwang.workdays",
    "yiwang.files",
    "yiwang.cases",
    "yiwang.licenses",
    "yiwang.evaluations",
    "yiwang.hotline",
    "yiwang.api",
    "yiwang.portal",
    "yiwang.workbench",
    "yiwang.oidc",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "yiwang.core.middleware.RequestContextMiddleware",
    "yiwang.core.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): second factor passed in this session
    "django.contrib.messages.middleware.MessageMiddleware",
    "yiwang.accounts.session_policy.SessionPolicyMiddleware",  # idle / absolute limits, staff vs citizens
    "yiwang.accounts.middleware.ActingIdentityMiddleware",  # 办事身份 into the audit context (after session/auth)
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "yiwang.urls"
WSGI_APPLICATION = "yiwang.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "yiwang.core.context_processors.ui",
            ],
        },
    },
]

# --- database ------------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'yiwang.sqlite3'}")
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("YIWANG_DB_CONN_MAX_AGE", 60))
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so two
    # writers queue on the busy timeout instead of failing with "database is locked" on upgrade.
    _db["OPTIONS"] = {
        "timeout": env_int("YIWANG_SQLITE_TIMEOUT", 20),
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
    }
    _db["CONN_MAX_AGE"] = 0
    # Tests use a file, not shared-cache memory, so they see WAL and the busy timeout as production does.
    _db["TEST"] = {"NAME": str(VAR_DIR / "test-yiwang.sqlite3")}
    if _db["NAME"] and _db["NAME"] != ":memory:":
        Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
elif _db["ENGINE"] == "django.db.backends.postgresql":
    # Server-side binding lets psycopg prepare a statement the server has seen a few times on this connection
    # (ADR 0011): the hot statements are then parsed and planned once per connection, not on every call.
    # Behind a transaction-mode pooler without prepared-statement support, set the threshold to "off".
    _prepare_off = env_str("YIWANG_DB_PREPARE_THRESHOLD", "").strip().lower() == "off"
    _db["OPTIONS"] = {
        "server_side_binding": not _prepare_off,
        "prepare_threshold": None if _prepare_off else env_int("YIWANG_DB_PREPARE_THRESHOLD", 5),
    }
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- authentication ------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "yiwang.accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "yiwang.accounts.passwords.CharacterClassValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "portal:home"

# django-axes: lock an account for a while after repeated failed log-ins (防暴力破解).
AXES_FAILURE_LIMIT = env_int("YIWANG_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("YIWANG_LOGIN_COOLOFF_MINUTES", 30) / 60  # hours
# Locked per account, not per IP: a whole service hall sits behind one address, and five typos by one
# clerk must not lock every window. axes warns about this (W006); the choice is ADR 0001's, so silenced.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# Failures are reset only when the WHOLE log-in succeeds (password, then the second factor where the role
# needs one) — by the log-in pages, not by axes on the password step, or re-entering the password would
# wipe the count of wrong second-factor codes (ADR 0003).
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp_token"]  # masked in axes' stored POST data

# Second factor (django-otp): TOTP in any authenticator app, recovery codes as static tokens. Who must use
# it: accounts.permissions.SECOND_FACTOR_ROLES. The issuer is the name the authenticator app shows.
OTP_TOTP_ISSUER = env_str("YIWANG_TOTP_ISSUER", "一网通办")
# Session limits (accounts.session_policy): idle = since the last request, max = since log-in.
YIWANG_STAFF_SESSION_IDLE = env_int("YIWANG_STAFF_SESSION_IDLE_MINUTES", 30) * 60
YIWANG_STAFF_SESSION_MAX = env_int("YIWANG_STAFF_SESSION_MAX_HOURS", 8) * 3600
YIWANG_CITIZEN_SESSION_IDLE = env_int("YIWANG_CITIZEN_SESSION_IDLE_MINUTES", 120) * 60
YIWANG_CITIZEN_SESSION_MAX = env_int("YIWANG_CITIZEN_SESSION_MAX_HOURS", 12) * 3600
# A password-only session of staff who still owe the second factor ends after this long.
YIWANG_SECOND_FACTOR_PENDING_SECONDS = env_int("YIWANG_SECOND_FACTOR_PENDING_MINUTES", 10) * 60

# 短信 (phone verification codes): dotted path of the sender. The default only logs (code masked) and keeps
# the message for the developer inbox /dev/sms/ (DEBUG only); production sets its gateway's backend.
YIWANG_SMS_BACKEND = env_str("YIWANG_SMS_BACKEND", "yiwang.accounts.sms.LogBackend")

# --- background tasks ----------------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
YIWANG_AUDIT_SEAL_INTERVAL = env_int("YIWANG_AUDIT_SEAL_INTERVAL", 5)  # seconds between seals in the worker

# --- files ---------------------------------------------------------------------------------------------
# 上传材料 (yiwang.files): one blob per content, named by its SHA-256 (ab/cd/<sha256>), in the storage named
# "materials": files under YIWANG_FILES_DIR (default var/files) or, when a bucket is set, S3-compatible
# object storage (MinIO, a cloud's 对象存储). The bucket must be private: files are served through the app.
YIWANG_UPLOAD_MAX_BYTES = env_int("YIWANG_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
YIWANG_FILES_S3_BUCKET = env_str("YIWANG_FILES_S3_BUCKET", "")
if YIWANG_FILES_S3_BUCKET:
    _materials_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": YIWANG_FILES_S3_BUCKET,
            "endpoint_url": env_str("YIWANG_FILES_S3_ENDPOINT_URL", "") or None,  # None: AWS itself
            "region_name": env_str("YIWANG_FILES_S3_REGION", "") or None,
            # Empty: boto3's own chain (instance role, AWS_* variables). Both accept *_FILE.
            "access_key": env_str("YIWANG_FILES_S3_ACCESS_KEY_ID", "") or None,
            "secret_key": env_str("YIWANG_FILES_S3_SECRET_ACCESS_KEY", "") or None,
            "location": env_str("YIWANG_FILES_S3_PREFIX", ""),  # key prefix inside the bucket
            "addressing_style": env_str("YIWANG_FILES_S3_ADDRESSING_STYLE", "path"),  # MinIO: path
            "signature_version": "s3v4",
            "default_acl": None,  # the bucket's policy (private); never public-read
            "querystring_auth": True,
            "file_overwrite": True,  # content-addressed: same name, same bytes; never rename
        },
    }
else:
    _materials_storage = {
        "BACKEND": "yiwang.files.storage.BlobFileSystemStorage",
        "OPTIONS": {
            "location": env_str("YIWANG_FILES_DIR", str(VAR_DIR / "files")),
            "file_permissions_mode": 0o640,
            "directory_permissions_mode": 0o750,
        },
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},  # Django's defaults, unchanged
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "materials": _materials_storage,
}
# Notices as PDF (yiwang.core.pdf): a TrueType .ttf/.ttc to embed ("path#index" for a face of a
# collection), "builtin" for reportlab's STSong-Light (no file needed), empty to look for an installed one.
YIWANG_PDF_FONT = env_str("YIWANG_PDF_FONT", "")
# The address citizens reach the portal at: printed in the QR code of every e-licence (公共验证服务).
YIWANG_PUBLIC_URL = env_str("YIWANG_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
YIWANG_SEAL_AUTHORITY_NAME = env_str("YIWANG_SEAL_AUTHORITY_NAME", "一网通办电子印章制发中心")
YIWANG_SHOW_CODE_SECONDS = env_int("YIWANG_SHOW_CODE_SECONDS", 300)  # 一码亮证: 5 minutes
YIWANG_HOTLINE_DUPLICATE_DAYS = env_int("YIWANG_HOTLINE_DUPLICATE_DAYS", 30)  # 12345 疑似重复: look back N days
# --- end files -----------------------------------------------------------------------------------------

# --- i18n and time -------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
# 工作日历到期提醒: the workbench warns every staff member this many days before the calendar ends.
YIWANG_CALENDAR_WARN_DAYS = env_int("YIWANG_CALENDAR_WARN_DAYS", 90)

# --- static files --------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise serves from finders; the folder must exist
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- logging -------------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("YIWANG_LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django.db.backends": {"level": "WARNING"},
        # DOT and oauthlib log request details (success URLs with the authorization code) at DEBUG: never emit.
        "oauth2_provider": {"level": "INFO"},
        "oauthlib": {"level": "WARNING"},
        # pyHanko logs a traceback at WARNING for every untrusted signer: an everyday answer of the public
        # verification service (公共验证), which reports it to the user; keep the logs for real errors.
        "pyhanko.sign.validation": {"level": "ERROR"},
        "pyhanko_certvalidator": {"level": "ERROR"},
    },
}

# --- OpenID Connect provider: django-oauth-toolkit (yiwang.oidc; docs/adr/0005-oidc-provider.md) -------
# The signing keys are not settings: they live encrypted in the database (yiwang.oidc.SigningKey), are
# handed to DOT at every use by yiwang.oidc.keyring, and are managed with `yiwang oidc create-key` and
# `yiwang oidc rotate-keys`. Token lifetimes are short; the refresh token carries the session.
# DOT's own Application model (the default, named so that migrations can refer to the swappable model).
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    # Empty: the issuer is <scheme>://<host>/o from the request (ALLOWED_HOSTS guards the host).
    "OIDC_ISS_ENDPOINT": env_str("YIWANG_OIDC_ISSUER", ""),
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OIDC_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": ["client_secret_basic", "client_secret_post", "none"],
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": True,
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
    "OIDC_RP_INITIATED_LOGOUT_DELETE_TOKENS": True,
    "OIDC_JWKS_MAX_AGE_SECONDS": env_seconds("YIWANG_OIDC_JWKS_MAX_AGE_SECONDS", 300, maximum=86_400),
    "SCOPES": {
        "openid": "使用统一身份认证登录（获得您的用户标识）",
        "profile": "姓名和用户名",
        "phone": "手机号（脱敏，如 138****0001）",
        "idcard_masked": "身份证号（脱敏，仅显示前4位和后4位）",
        "enterprise": "您可代表办事的企业（法定代表人或经办人）",
    },
    "DEFAULT_SCOPES": ["openid"],
    "SCOPES_BACKEND_CLASS": "yiwang.oidc.validators.ClientPolicyScopes",
    "OAUTH2_VALIDATOR_CLASS": "yiwang.oidc.validators.YiwangOAuth2Validator",
    "PKCE_REQUIRED": True,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ACCESS_TOKEN_EXPIRE_SECONDS": env_seconds("YIWANG_OIDC_ACCESS_TOKEN_SECONDS", 600, maximum=3600),
    "ID_TOKEN_EXPIRE_SECONDS": env_seconds("YIWANG_OIDC_ID_TOKEN_SECONDS", 600, maximum=3600),
    "REFRESH_TOKEN_EXPIRE_SECONDS": env_seconds("YIWANG_OIDC_REFRESH_TOKEN_SECONDS", 86_400, maximum=30 * 86_400),
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,  # a replayed refresh token revokes its whole family
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    "REQUEST_APPROVAL_PROMPT": "auto",  # consent is asked again when a client asks for more
    # https, and http only for loopback hosts (RFC 8252 §7.3) — enforced per URI by our validator.
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"],
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": ["client_secret_basic", "client_secret_post", "none"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "refresh_token"],
    # RFC 9700 (OAuth 2.0 Security BCP): every behaviour gate on.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,  # S256 only
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,  # only token checksums are stored
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
}
# oauth2_provider.W008 says "http redirect URIs are allowed": DOT's scheme list is global, while our rule is
# per URI (https, or http to a loopback address only; yiwang.oidc.validators). ADR 0005 records this.
SILENCED_SYSTEM_CHECKS += ["oauth2_provider.W008"]
