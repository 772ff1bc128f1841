"""One settings module, driven by environment variables (see README: "Production")."""

import datetime
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_flag("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
    if host.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "treebeard",
    "simple_history",
    "axes",
    "csp",
    "partybuild",
    "orgs",
    "scoring",
    "dashboard",
    "guidance",
    "records",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Above everything that reads the database (sessions, users, lockouts): an outage is 503.
    "partybuild.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    # A one-time password (new account, reset) opens nothing but the password change.
    "partybuild.middleware.PasswordChangeRequiredMiddleware",
    "partybuild.middleware.SlidingSessionMiddleware",
]

# Login lockout: five wrong passwords for one account from one address lock that pair for
# fifteen minutes. Attempts live in the database, so every app instance honours them.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "orgs.backends.UserModelBackend",
]
# The pair is per account AND address, never per account alone: nobody can lock a colleague
# out from elsewhere, and staff can unlock an account from the accounts page.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Content-Security-Policy: scripts and styles only from this site (no inline script at all;
# inline styles only with the response's nonce, for server-rendered chart SVGs), no framing,
# forms post only here. Uploaded attachments are served with a stricter policy of their own.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

ROOT_URLCONF = "partybuild.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "partybuild.context_processors.zone",
                "dashboard.context_processors.notifications",
            ],
        },
    },
]

WSGI_APPLICATION = "partybuild.wsgi.application"

# Persistent connections: opening one per request cuts page throughput to a third.
CONN_MAX_AGE = int(os.environ.get("DJANGO_CONN_MAX_AGE", "600"))
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=CONN_MAX_AGE,
        conn_health_checks=True,
    )
}
if env_flag("DATABASE_TRANSACTION_POOLING", False):
    # Behind PgBouncer in transaction mode a cursor cannot outlive its transaction.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
if os.environ.get("DATABASE_REPLICA_URL"):
    # A direct connection (no transaction pooling): exports stream through server-side cursors.
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=CONN_MAX_AGE, conn_health_checks=True
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["partybuild.routers.ReportsRouter"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so two concurrent saves queue up instead of
    # failing with "database is locked" halfway through a read-then-write transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "orgs.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# One language whatever the browser asks for: the users are the zone's offices.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
# Our wording of a few of Django's own messages (locale/zh_Hans/LC_MESSAGES/django.po).
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["partybuild.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# In development and tests files come straight from the apps' static folders.
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_USE_FINDERS = DEBUG
STORAGES: dict[str, dict] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Uploaded rectification attachments: outside the web root, served only through a view that
# checks scope.
MEDIA_ROOT = Path(os.environ.get("PARTYBUILD_MEDIA_ROOT", BASE_DIR / "var" / "uploads"))

# --- records (issue 14): evidence files live in the named storage "attachments" (work
# records, appeals). By default the folder above; with PARTYBUILD_S3_BUCKET set, an
# S3-compatible object store through django-storages (boto3 must then be installed), and the
# default storage (rectification attachments) moves there too. Files are never public: the
# bucket is private and every file is served through a view that checks scope.
if os.environ.get("PARTYBUILD_S3_BUCKET"):
    OBJECT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["PARTYBUILD_S3_BUCKET"],
            "endpoint_url": os.environ.get("PARTYBUILD_S3_ENDPOINT") or None,
            "region_name": os.environ.get("PARTYBUILD_S3_REGION") or None,
            "access_key": os.environ.get("PARTYBUILD_S3_ACCESS_KEY") or None,
            "secret_key": os.environ.get("PARTYBUILD_S3_SECRET_KEY") or None,
            "location": os.environ.get("PARTYBUILD_S3_PREFIX", "partybuild"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
    STORAGES["default"] = OBJECT_STORAGE
    STORAGES["attachments"] = OBJECT_STORAGE
else:
    STORAGES["attachments"] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
# --- end of records

# Per-process memory: cached page fragments are keyed by the data they show (stamps), so
# another instance never serves them stale; a shared cache (Redis) only saves recomputation.
# The office pages' tables (partybuild.fragments) are up to ~150 KB each: at most 500 of them
# per process, so a worker's cache stays under ~75 MB.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 20000},
    },
    "fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "fragments",
        "OPTIONS": {"MAX_ENTRIES": 500},
    },
}

# Reminders and notices are mailed by `manage.py send_reminders`: printed to the console in
# development, sent through SMTP in production (EMAIL_HOST and friends from the environment).
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_flag("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_flag("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "partybuild@localhost")
# The address the mailed notices link to (the site as its users reach it).
PARTYBUILD_SITE_URL = os.environ.get("PARTYBUILD_SITE_URL", "http://127.0.0.1:8000")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Production hardening, on whenever debug is off. DJANGO_HTTPS=0 turns the HTTPS-only parts off
# for plain-HTTP loopback runs (the benchmark), never for a public deployment.
HTTPS = env_flag("DJANGO_HTTPS", not DEBUG)
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
BEHIND_TLS_PROXY = env_flag("DJANGO_BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    # Only behind a proxy that sets this header itself and strips it from clients.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies stand between the clients and the app, each appending the address
# it saw to X-Forwarded-For (one nginx: 1). Login lockouts then count the client's address,
# read from the header's right end so that an address a client forges cannot be chosen, not
# the proxy's, which every client shares. 0: REMOTE_ADDR, as on a direct connection.
TRUSTED_PROXIES = int(os.environ.get("DJANGO_TRUSTED_PROXIES", "1" if BEHIND_TLS_PROXY else "0"))
if TRUSTED_PROXIES:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXIES - 1
CSRF_TRUSTED_ORIGINS = [
    origin.strip()
    for origin in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",")
    if origin.strip()
]
# Sessions end after two hours without a request (sliding: partybuild.middleware refreshes
# the expiry as the user works) and when the browser closes, for shared office machines.
SESSION_COOKIE_AGE = 60 * 60 * 2
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}
