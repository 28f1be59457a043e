"""Settings shared by every environment. Everything deployment-specific comes from the environment."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parents[3]


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_number(name: str) -> float | None:
    """A positive number from the environment, None when unset; a clear error otherwise."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected a positive number, e.g. {name}=30")
    return value


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = env("SUPPORTPLAN_SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env_bool("SUPPORTPLAN_DEBUG", False)
ALLOWED_HOSTS = [h for h in env("SUPPORTPLAN_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env("SUPPORTPLAN_CSRF_TRUSTED_ORIGINS").split(",") if o]

# Where uploaded attachments and generated reports live (outside the database).
DATA_DIR = Path(env("SUPPORTPLAN_DATA_DIR", str(BASE_DIR / "var")))
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_URL = "/static/"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks_db",
    "supportplan.core",
    "supportplan.accounts",
    "supportplan.calendars",
    "supportplan.catalog",
    "supportplan.sla",
    "supportplan.subscriptions",
    "supportplan.cases",
    "supportplan.bookings",
    "supportplan.advisories",
    "supportplan.notifications",
    "supportplan.reports",
    "supportplan.api",
    "supportplan.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "supportplan.core.middleware.RejectNulBytesMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "supportplan.core.middleware.ActivateUserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "supportplan.config.urls"
WSGI_APPLICATION = "supportplan.config.wsgi.application"
ASGI_APPLICATION = "supportplan.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def database_from_env() -> dict:
    url = env("DATABASE_URL")
    if url:
        config: dict = dict(
            dj_database_url.parse(url, conn_max_age=int(env("SUPPORTPLAN_DB_CONN_MAX_AGE", "60")))
        )
        config["CONN_HEALTH_CHECKS"] = True
        if env_bool("SUPPORTPLAN_DB_PREPARED_STATEMENTS", True):
            # Parameters bound by the server, and a statement run five times on a connection
            # prepared there: PostgreSQL stops parsing and planning the hot statements on
            # every request (opening a case: a third less database CPU, see
            # benchmarks/profile_open.py). Turn off behind a pooler that cannot keep prepared
            # statements (PgBouncer in transaction mode before 1.21).
            options = config.setdefault("OPTIONS", {})
            options.setdefault("server_side_binding", True)
            options.setdefault("prepare_threshold", 5)
        return config
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": env("SUPPORTPLAN_SQLITE_PATH", str(DATA_DIR / "supportplan.sqlite3")),
        "OPTIONS": {
            # WAL lets the web process and the task worker read while the other writes;
            # IMMEDIATE transactions avoid "database is locked" upgrades mid-transaction.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
            ),
            "transaction_mode": "IMMEDIATE",
        },
    }


DATABASES = {"default": database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# i18n: Chinese first, English switchable per user (User.language) or per request.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "supportplan" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"  # stored and computed in UTC; business logic uses BUSINESS_TIME_ZONE
BUSINESS_TIME_ZONE = "Asia/Shanghai"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Background work: Django's tasks API, stored in the database (django-tasks-db).
# Run workers with `supportplan db_worker` on as many machines as needed.
TASKS = {
    "default": {
        "BACKEND": env("SUPPORTPLAN_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "notifications", "reports"],
    }
}

MAILERS = {
    "default": {
        "BACKEND": env("SUPPORTPLAN_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"),
        "OPTIONS": {
            "host": env("SUPPORTPLAN_EMAIL_HOST", "127.0.0.1"),
            "port": int(env("SUPPORTPLAN_EMAIL_PORT", "25")),
            "username": env("SUPPORTPLAN_EMAIL_USER"),
            "password": env("SUPPORTPLAN_EMAIL_PASSWORD"),
            "use_tls": env_bool("SUPPORTPLAN_EMAIL_TLS", False),
            "timeout": 10,
        },
    }
}
DEFAULT_FROM_EMAIL = env("SUPPORTPLAN_FROM_EMAIL", "supportplan <noreply@supportplan.local>")

# Secret used to encrypt stored cloud credentials (Fernet key, urlsafe base64, 32 bytes).
CREDENTIALS_KEY = env("SUPPORTPLAN_CREDENTIALS_KEY")

# The web UI's public address, for links in e-mails and chat-robot messages.
SUPPORTPLAN_SITE_URL = env("SUPPORTPLAN_SITE_URL", "http://127.0.0.1:8000")

# Optional tuning from the environment; unset keeps the defaults in the code.
if (_value := env_number("SUPPORTPLAN_SLA_WARN_PERCENT")) is not None:
    SUPPORTPLAN_SLA_WARN_PERCENT = int(_value)  # warn at this share of the first-response target
if (_value := env_number("SUPPORTPLAN_ATTACHMENT_MAX_MB")) is not None:
    SUPPORTPLAN_ATTACHMENT_MAX_BYTES = int(_value * 1024 * 1024)
if (_value := env_number("SUPPORTPLAN_NOTIFICATIONS_GIVE_UP_HOURS")) is not None:
    NOTIFICATIONS_GIVE_UP_AFTER = timedelta(hours=_value)  # stop retrying a message after this
if (_value := env_number("SUPPORTPLAN_ADVISORY_TAM_CONTACT_MINUTES")) is not None:
    ADVISORY_TAM_CONTACT_WITHIN = timedelta(minutes=_value)
NOTIFICATIONS_ROBOT_EXTRA_HOSTS = tuple(
    h.strip() for h in env("SUPPORTPLAN_ROBOT_EXTRA_HOSTS").split(",") if h.strip()
)  # chat-robot webhook hosts allowed besides the built-in platforms' own

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "supportplan.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "supportplan.api.errors.exception_handler",
    "DEFAULT_METADATA_CLASS": "supportplan.api.metadata.Metadata",
    "DEFAULT_PARSER_CLASSES": [
        "supportplan.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "supportplan API",
    "DESCRIPTION": "Tiered support plans: catalogs, tenants, cases, SLAs, subscriptions, bookings.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc are served from the installed sidecar package: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "AdvisoryStateEnum": "supportplan.advisories.models.State",
        "CaseStateEnum": "supportplan.cases.models.CaseState",
        "SlaStateEnum": "supportplan.cases.models.SlaState",
    },
}

CATALOG_DIR = BASE_DIR / "catalogs"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("SUPPORTPLAN_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
