"""Spolu settings: one module, every deployment-specific value read from the environment."""

import importlib.util
import os
import sys
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str = "0") -> bool:
    value = os.environ.get(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be 0 or 1, not {value!r}")


def envint(name: str, default: str) -> int:
    value = os.environ.get(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("SPOLU_DEBUG")
# The test suite runs with debug off but needs no secrets from the environment.
TESTING = "pytest" in sys.modules or envbool("SPOLU_TESTING")

SECRET_KEY = os.environ.get("SPOLU_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and not TESTING:
        raise ImproperlyConfigured("Set SPOLU_SECRET_KEY (50+ random characters) or SPOLU_DEBUG=1")
    # Development and tests only: a fixed, obviously insecure key.
    SECRET_KEY = "django-insecure-spolu-development-key-never-use-this-in-production-0123"

ALLOWED_HOSTS = envlist("SPOLU_ALLOWED_HOSTS", "localhost,127.0.0.1" if DEBUG or TESTING else "")
CSRF_TRUSTED_ORIGINS = envlist("SPOLU_CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SPOLU_SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "auditlog",
    "csp",
    "django_htmx",
    "spolu.core",
    "spolu.accounts",
    "spolu.territories",
    "spolu.actors",
    "spolu.plans",
    "spolu.meetings",
    "spolu.cases",
    "spolu.catalog",
    "spolu.bench",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "spolu.core.middleware.SessionIdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "spolu.core.middleware.DenyByDefaultMiddleware",
]

ROOT_URLCONF = "spolu.urls"
WSGI_APPLICATION = "spolu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "spolu" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "spolu.core.context_processors.spolu",
            ],
        },
    },
]

# Database: SQLite (WAL) in the project folder unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'spolu.sqlite3'}"),
        conn_max_age=envint("SPOLU_CONN_MAX_AGE", "600"),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
# PostgreSQL planner cost of a random page read for Spolu's connections (spolu/core/database.py):
# 1.1 suits SSDs and keeps tenant pages on index lookups; empty keeps the server's value.
SPOLU_PG_RANDOM_PAGE_COST = os.environ.get("SPOLU_PG_RANDOM_PAGE_COST", "1.1").strip()
if SPOLU_PG_RANDOM_PAGE_COST:
    try:
        float(SPOLU_PG_RANDOM_PAGE_COST)
    except ValueError as exc:
        raise ImproperlyConfigured("SPOLU_PG_RANDOM_PAGE_COST must be a number or empty") from exc
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "spolu_cache",
    }
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Hashing strength is not under test; the real hasher makes each test user cost ~0.3 s.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "core:home"

# django-allauth: log in by e-mail, no public sign-up (coordinators add members).
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "spolu.accounts.adapter.AccountAdapter"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
# Lock an address out after repeated failed logins; allauth shows the reason.
ACCOUNT_LOGIN_FAILED_LIMIT = os.environ.get("SPOLU_LOGIN_FAILED_LIMIT", "5/5m/key")
ACCOUNT_RATE_LIMITS = {
    "login_failed": ACCOUNT_LOGIN_FAILED_LIMIT,
    "login": "30/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Spolu"
# Territory roles whose members must have two-factor authentication before they
# may open that territory's pages (the case module adds "caseworker").
SPOLU_MFA_REQUIRED_ROLES = envlist("SPOLU_MFA_REQUIRED_ROLES")
# Sessions of users in these roles end after this many minutes without a request.
SPOLU_SENSITIVE_ROLES = envlist("SPOLU_SENSITIVE_ROLES", "caseworker,case_lead")
# Pages that show data about a pupil (case signals) require two-factor authentication of
# everyone who opens them. Only switch off for a local demo.
SPOLU_CASE_DATA_MFA = envbool("SPOLU_CASE_DATA_MFA", "1")
SPOLU_SENSITIVE_IDLE_MINUTES = envint("SPOLU_SENSITIVE_IDLE_MINUTES", "30")
SESSION_COOKIE_AGE = envint("SPOLU_SESSION_HOURS", "12") * 3600

# Internationalisation: Czech default, Polish and English.
LANGUAGE_CODE = "cs"
LANGUAGES = [("cs", "Čeština"), ("pl", "Polski"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Prague"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Leaflet's files come from the django-leaflet package; its Django app needs GDAL, so only
# its static folder is used (found without importing the package).
STATICFILES_DIRS = [
    Path(location) / "static"
    for location in importlib.util.find_spec("leaflet").submodule_search_locations
]
# Leaflet.markercluster from its XStatic package, served under static/markercluster/.
STATICFILES_DIRS.append(
    ("markercluster", importlib.import_module("xstatic.pkg.leaflet_markercluster").BASE_DIR)
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "spolu.core.staticfiles.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(os.environ.get("SPOLU_MEDIA_ROOT", BASE_DIR / "media"))
# Largest accepted import file; the whole Czech school register is a few hundred MB.
SPOLU_IMPORT_MAX_MB = envint("SPOLU_IMPORT_MAX_MB", "500")
SPOLU_ATTACHMENT_MAX_MB = envint("SPOLU_ATTACHMENT_MAX_MB", "20")
# A measure in progress with no progress update for this many days is shown as at risk.
SPOLU_STALE_PROGRESS_DAYS = envint("SPOLU_STALE_PROGRESS_DAYS", "90")
# Map tiles are a third-party request: off unless a tile server is configured, e.g.
# https://tile.openstreetmap.org/{z}/{x}/{y}.png (then also set its attribution).
SPOLU_MAP_TILE_URL = os.environ.get("SPOLU_MAP_TILE_URL", "")
SPOLU_MAP_ATTRIBUTION = os.environ.get("SPOLU_MAP_ATTRIBUTION", "")
# The map's points and the lists beside it are the same for every visitor: computed once per
# language and intervention for this many seconds (catalogue edits start afresh at once;
# 0 computes every time).
SPOLU_MAP_CACHE_SECONDS = envint("SPOLU_MAP_CACHE_SECONDS", "0" if TESTING else "300")
WHITENOISE_USE_FINDERS = DEBUG

# Case signals (data about pupils).
# Free-text fields are encrypted with these Fernet keys (comma-separated, newest first; the
# first encrypts, all decrypt). Rotation: put a new key first, run `rotate_field_key`, then
# drop the old one. Generate a key with `manage.py generate_field_key`.
SPOLU_FIELD_KEY = envlist("SPOLU_FIELD_KEY")
if not SPOLU_FIELD_KEY and not DEBUG and not TESTING:
    raise ImproperlyConfigured("Set SPOLU_FIELD_KEY (see `manage.py generate_field_key`)")
# Working days the department has to triage a new signal before it is shown as overdue.
SPOLU_CASES_TRIAGE_DAYS = envint("SPOLU_CASES_TRIAGE_DAYS", "3")
# Closed signals are anonymised this many years after closing.
SPOLU_CASES_RETENTION_YEARS = envint("SPOLU_CASES_RETENTION_YEARS", "3")
# Statistics never show a count between 1 and this number minus one.
SPOLU_CASES_MIN_COUNT = envint("SPOLU_CASES_MIN_COUNT", "5")

# Background jobs run by `manage.py db_worker` from the database queue (django-tasks);
# the test suite runs them at once.
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if TESTING
        else "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# E-mail
EMAIL_BACKEND = os.environ.get(
    "SPOLU_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("SPOLU_EMAIL_HOST", "localhost")
EMAIL_PORT = envint("SPOLU_EMAIL_PORT", "25")
EMAIL_HOST_USER = os.environ.get("SPOLU_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("SPOLU_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("SPOLU_EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("SPOLU_DEFAULT_FROM_EMAIL", "Spolu <spolu@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security: HTTPS-only cookies and HSTS outside development.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
if not DEBUG and not TESTING:
    SECURE_SSL_REDIRECT = envbool("SPOLU_SSL_REDIRECT", "1")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("SPOLU_HSTS_SECONDS", str(365 * 24 * 3600))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Content-Security-Policy: only our own static files, never inline script.
_map_tile_origin = (
    ["/".join(SPOLU_MAP_TILE_URL.split("/")[:3]).replace("{s}.", "*.")]
    if SPOLU_MAP_TILE_URL
    else []
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *_map_tile_origin],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

AUDITLOG_INCLUDE_ALL_MODELS = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("SPOLU_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Names that appear in the interface but are configured, not translated per string.
SPOLU_PRODUCT_NAME = "Spolu"
SPOLU_TAGLINE = _("Local strategies for inclusive education, together")
