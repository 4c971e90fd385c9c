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

from yiwang.env import SettingError, env_bool, env_int, env_list, env_str

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
    "ninja",
    "yiwang.core",
    "yiwang.regions",
    "yiwang.accounts",
    "yiwang.audit",
    "yiwang.catalog",
    "yiwang.api",
    "yiwang.portal",
    "yiwang.workbench",
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
    "django.contrib.messages.middleware.MessageMiddleware",
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
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

# --- background tasks ----------------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
YIWANG_AUDIT_SEAL_INTERVAL = env_int("YIWANG_AUDIT_SEAL_INTERVAL", 5)  # seconds between seals in the worker

# --- i18n and time -------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

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
    "loggers": {"axes": {"level": "WARNING"}, "django.db.backends": {"level": "WARNING"}},
}
