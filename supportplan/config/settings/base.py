"""Settings shared by every environment. Everything deployment-specific comes from the environment."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from supportplan.core.logging import logging_config

# The installed package (templates, locale catalogs and the shipped plan catalogs are package
# data in it) and, when run from a source checkout, the checkout around it.
PACKAGE_DIR = Path(__file__).resolve().parents[2]
SOURCE_CHECKOUT: Path | None = (
    PACKAGE_DIR.parent if (PACKAGE_DIR.parent / "manage.py").is_file() else None
)


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


_TRUE_WORDS = ("1", "true", "yes", "on")
_FALSE_WORDS = ("0", "false", "no", "off")


def env_bool(name: str, default: bool = False) -> bool:
    """A yes/no setting; an unknown word (SECURE_COOKIES=ture) is refused, never read as False."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    word = value.strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a yes/no value: use one of "
        f"{', '.join(_TRUE_WORDS)} (yes) or {', '.join(_FALSE_WORDS)} (no)."
    )


SECRET_KEY = env("SUPPORTPLAN_SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env_bool("SUPPORTPLAN_DEBUG", False)
ALLOWED_HOSTS = [h for h in env("SUPPORTPLAN_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env("SUPPORTPLAN_CSRF_TRUSTED_ORIGINS").split(",") if o]

# Where uploaded attachments and generated reports live (outside the database).
# Default: var/ in a source checkout; var/ in the working directory of an installed product.
DATA_DIR = Path(env("SUPPORTPLAN_DATA_DIR") or ((SOURCE_CHECKOUT or Path.cwd()) / "var")).resolve()
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
    "supportplan.compat",
    "supportplan.integrations",
    "supportplan.insights",
    "supportplan.api",
    "supportplan.web",
]

MIDDLEWARE = [
    "supportplan.core.logging.RequestIdMiddleware",
    "supportplan.core.metrics.MetricsMiddleware",
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


SQLITE_OPTIONS = {
    # WAL lets the web process and the task worker read while the other writes;
    # IMMEDIATE transactions avoid "database is locked" upgrades mid-transaction.
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
    "transaction_mode": "IMMEDIATE",
}


def database_from_env() -> dict:
    url = env("DATABASE_URL")
    if not url:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path = env("SUPPORTPLAN_SQLITE_PATH", str(DATA_DIR / "supportplan.sqlite3"))
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path,
            "OPTIONS": dict(SQLITE_OPTIONS),
        }
    try:
        config: dict = dict(
            dj_database_url.parse(url, conn_max_age=int(env("SUPPORTPLAN_DB_CONN_MAX_AGE", "60")))
        )
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"DATABASE_URL is not a database address ({exc}); expected e.g. "
            "postgres://user:password@host:5432/name or sqlite:////absolute/path.sqlite3"
        ) from None
    options = config.setdefault("OPTIONS", {})
    if config["ENGINE"].endswith("sqlite3"):
        # A file named by DATABASE_URL gets the same settings as the default one; SQLite has
        # no server to keep connections to.
        config["CONN_MAX_AGE"] = 0
        for key, value in SQLITE_OPTIONS.items():
            options.setdefault(key, value)
        return config
    if not config["ENGINE"].endswith("postgresql"):
        raise ImproperlyConfigured(
            f"DATABASE_URL names {config['ENGINE']!r}: supportplan runs on PostgreSQL "
            "(postgres://...) or SQLite (sqlite:///...)."
        )
    config["CONN_HEALTH_CHECKS"] = True
    if env_bool("SUPPORTPLAN_DB_PREPARED_STATEMENTS", True):
        # Parameters bound by the server, and a statement run five times on a connection
        # prepared there: PostgreSQL stops parsing and planning the hot statements on
        # every request (opening a case: a third less database CPU, see
        # benchmarks/profile_open.py). Turn off behind a pooler that cannot keep prepared
        # statements (PgBouncer in transaction mode before 1.21).
        options.setdefault("server_side_binding", True)
        options.setdefault("prepare_threshold", 5)
    return config


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
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"  # stored and computed in UTC; business logic uses BUSINESS_TIME_ZONE
BUSINESS_TIME_ZONE = "Asia/Shanghai"


# Files (attachments, reports): on the local file system under MEDIA_ROOT by default, or
# on S3-compatible object storage (Tencent COS, Huawei OBS, MinIO, AWS) with
# SUPPORTPLAN_STORAGE=s3, so several app servers share them without NFS.
def storage_backend() -> dict[str, object]:
    kind = env("SUPPORTPLAN_STORAGE", "filesystem").strip().lower()
    if kind in ("", "filesystem", "file"):
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if kind != "s3":
        raise ImproperlyConfigured(
            f"SUPPORTPLAN_STORAGE={kind!r}: use 'filesystem' (the default) or 's3'."
        )
    missing = [
        name
        for name in ("SUPPORTPLAN_S3_BUCKET", "SUPPORTPLAN_S3_ENDPOINT")
        if not env(name).strip()
    ]
    if missing:
        raise ImproperlyConfigured(f"SUPPORTPLAN_STORAGE=s3 needs {', '.join(missing)}.")
    style = env("SUPPORTPLAN_S3_ADDRESSING_STYLE", "virtual").strip() or "virtual"
    if style not in ("virtual", "path", "auto"):
        raise ImproperlyConfigured(
            f"SUPPORTPLAN_S3_ADDRESSING_STYLE={style!r}: use virtual, path or auto."
        )
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("SUPPORTPLAN_S3_BUCKET").strip(),
            "endpoint_url": env("SUPPORTPLAN_S3_ENDPOINT").strip(),
            "region_name": env("SUPPORTPLAN_S3_REGION").strip() or None,
            "access_key": env("SUPPORTPLAN_S3_ACCESS_KEY"),
            "secret_key": env("SUPPORTPLAN_S3_SECRET_KEY"),
            "addressing_style": style,
            "location": env("SUPPORTPLAN_S3_PREFIX").strip(),
            "default_acl": None,  # private objects: downloads go through the permission checks
            "querystring_auth": True,
            "file_overwrite": False,  # a name is never reused for a different file
            "signature_version": "s3v4",
        },
    }


STORAGES = {
    "default": storage_backend(),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Background work: Django's tasks API, stored in the database (django-tasks-db).
# Run workers with `supportplan db_worker` on as many machines as needed.
TASKS = {
    "default": {
        "BACKEND": env("SUPPORTPLAN_TASK_BACKEND", "supportplan.core.task_backend.DatabaseBackend"),
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


# The web UI's public address, for links in e-mails and chat-robot messages.
SUPPORTPLAN_SITE_URL = env("SUPPORTPLAN_SITE_URL", "http://127.0.0.1:8000")


# --- Sign-in (supportplan.signin, django-allauth; see docs/signin.md) -----------------------
# One contiguous block so merges stay easy: apps, backends, middleware, ACCOUNT_*/MFA_*/
# SOCIALACCOUNT_* and the cache allauth's own rate limits use.
INSTALLED_APPS += [
    "django.contrib.humanize",  # allauth.mfa's key list
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",  # python3-saml; SsoConfig rows with protocol saml
    "supportplan.signin",
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",  # /admin/login/ and POST /api/token/
    "allauth.account.auth_backends.AuthenticationBackend",  # username or e-mail
]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "supportplan.signin.middleware.SignInLockMiddleware",
)
MIDDLEWARE += [
    "allauth.account.middleware.AccountMiddleware",
    "supportplan.signin.middleware.RequireMfaMiddleware",
]
# Lock-out on every door (web, admin, API token): SIGNIN_LOCK_FAILURES wrong passwords for
# one account from one address within SIGNIN_LOCK_MINUTES lock that pair for that long.
# Stored in the database (signin.SignInFailure), so every app server sees the same lock.
SIGNIN_LOCK_FAILURES = int(env_number("SUPPORTPLAN_SIGNIN_LOCK_FAILURES") or 5)
SIGNIN_LOCK_MINUTES = env_number("SUPPORTPLAN_SIGNIN_LOCK_MINUTES") or 15.0
# allauth's other rate limits (reset e-mails, sign-up, ...) count in the default cache, which
# must be shared by every app server: the database (table created by signin's migration).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "signin_cache",
    },
}
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "optional"  # existing people have no verified address record yet
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_SESSION_REMEMBER = None
# Read by signin.adapters.AccountAdapter.is_open_for_signup (allauth's own switch,
# ACCOUNT_SIGNUP_ENABLED, defaults to open).
ACCOUNT_ALLOW_SIGNUPS = env_bool("SUPPORTPLAN_ALLOW_SIGNUP", False)
ACCOUNT_SIGNUP_FORM_CLASS = "supportplan.signin.forms.SignupForm"
ACCOUNT_ADAPTER = "supportplan.signin.adapters.AccountAdapter"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SUPPORTPLAN_SITE_URL.startswith("https") else "http"
ACCOUNT_RATE_LIMITS = {
    # wrong passwords are counted by supportplan.signin (database, every door) instead
    "login_failed": False,
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "signup": "20/m/ip",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
MFA_ADAPTER = "supportplan.signin.adapters.MfaAdapter"
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env_bool("SUPPORTPLAN_WEBAUTHN_INSECURE_ORIGIN", False)
MFA_TOTP_ISSUER = "supportplan"
# One 30-second step either way (RFC 6238 5.2): a phone a few seconds off, or a code typed
# as the window turns, still signs in. A code is accepted once (the used-code marker is in
# the shared database cache), so the wider window does not allow a replay.
MFA_TOTP_TOLERANCE = 1
SOCIALACCOUNT_ADAPTER = "supportplan.signin.adapters.SocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # linking is decided per tenant by the adapter
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"OAUTH_PKCE_ENABLED": True}}
# --- end of sign-in block ---------------------------------------------------------------

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
        "supportplan.api.authentication.ApiKeyAuthentication",
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
    "DEFAULT_PAGINATION_CLASS": "supportplan.api.pagination.ApiPagination",
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
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "supportplan.api.schema.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ApiKeyScopeEnum": "supportplan.accounts.models.ApiKeyScope",
        "AdvisoryStateEnum": "supportplan.advisories.models.State",
        "CaseStateEnum": "supportplan.cases.models.CaseState",
        "HandlerTierEnum": "supportplan.accounts.models.HandlerTier",
        "TargetStatusEnum": "supportplan.advisories.models.TargetStatus",
        "SlaStateEnum": "supportplan.cases.models.SlaState",
        "ImPlatformEnum": "supportplan.integrations.models.ImPlatform",
        "RobotPlatformEnum": "supportplan.notifications.models.Platform",
    },
}

CATALOG_DIR = PACKAGE_DIR / "catalogs"  # the checkout's catalogs/, linked into the package

# /metrics answers only a scraper sending "Authorization: Bearer <this>"; unset disables it.
SUPPORTPLAN_METRICS_TOKEN = env("SUPPORTPLAN_METRICS_TOKEN")

# Plain lines by default; SUPPORTPLAN_LOG_FORMAT=json for one JSON object a line.
LOGGING = logging_config(
    env("SUPPORTPLAN_LOG_FORMAT", "text"), env("SUPPORTPLAN_LOG_LEVEL", "INFO")
)

# --- Access and secrets (issue 13): logging that never writes a secret, the browser's
# Content-Security-Policy, and the credentials key ring. ---
# Logging redacts secrets before it writes (supportplan/core/logging.py, log_redaction.py).

# Django's built-in Content-Security-Policy: no inline style or script anywhere in the web UI
# (templates use app.css/app.js). The stored monthly report, a self-contained HTML document,
# has its own policy (supportplan.reports: csp_override on the view that serves it).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.clickjacking.XFrameOptionsMiddleware"),
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
)
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Keys that encrypt stored secrets (robot webhooks, cloud credentials): comma-separated
# Fernet keys, newest first. New values are written with the first; every key still decrypts,
# so a key is rotated by putting the new one in front and running `supportplan credentials
# rotate`. See supportplan/core/secrets.py.
CREDENTIALS_KEY = env("SUPPORTPLAN_CREDENTIALS_KEY")
# --- end of access and secrets ---

# SQLite cannot enforce "one row with no tenant" (UniqueConstraint.nulls_distinct) for the
# staff-wide sign-in rules; PostgreSQL, the production database, does. Nor does it have
# covering indexes (Index.include, models.W040): the case queue index covers the console's
# counts on PostgreSQL and is a plain index on SQLite.
SILENCED_SYSTEM_CHECKS = ["models.W047", "models.W040"]

# The IM platforms' open APIs, where files posted in a group are fetched from
# (integrations.im_files); tests point them at a local server standing in for the vendor.
SUPPORTPLAN_IM_API_BASE = {
    "feishu": env("SUPPORTPLAN_IM_API_BASE_FEISHU", "https://open.feishu.cn"),
    "dingtalk": env("SUPPORTPLAN_IM_API_BASE_DINGTALK", "https://api.dingtalk.com"),
}
# WeCom's intelligent robot hands a file as a signed url on its object storage (COS); only
# these hosts (and their subdomains) are fetched from, over https (integrations.im_files).
SUPPORTPLAN_IM_WECOM_FILE_HOSTS = tuple(
    h.strip()
    for h in env("SUPPORTPLAN_IM_WECOM_FILE_HOSTS", "myqcloud.com,qq.com").split(",")
    if h.strip()
)
