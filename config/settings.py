"""Protocol Desk settings: one module for every deployment, driven by environment variables.

With nothing set, the system runs embedded: a SQLite file under ``var/``, django-q2's ORM
broker, a local-memory cache and e-mail written as .eml files to ``var/mail/``. Setting
``DATABASE_URL``, ``REDIS_URL`` and the SMTP variables moves it to PostgreSQL, Redis and a real
mail server without touching code. README.md lists every variable with its default.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    if value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if value.strip().lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use true/false, 1/0).")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


VAR_DIR = Path(env("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # the SQLite file and .eml mail live here

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"
# With DEBUG off and no SECRET_KEY, Django refuses anything that needs the key (serving,
# sessions, signing, tasks) with ImproperlyConfigured, and config/wsgi.py and asgi.py check it
# at start, so no web process comes up without one; commands such as makemigrations still run.

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.forms",  # its widget templates, for FORM_RENDERER below
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from here instead of a CDN
    "django_q",
    "simple_history",
    "axes",
    "core",
    "scheduling",
    "visitors",
    "desk",
    "api",
]

MIDDLEWARE = [
    "config.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "core.languages.SessionLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a refused login into the locked-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]
# Widgets render with the templates above, so a widget template can live in templates/ with
# the others (templates/admin/widgets/zoned_split_datetime.html).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# --- Database -------------------------------------------------------------------------------
# SQLite is the embedded default. WAL lets readers run beside the single writer; IMMEDIATE
# makes every transaction take the write lock at BEGIN, so concurrent writers queue on the
# busy timeout instead of failing later with "database is locked" when they try to upgrade
# a read lock.
SQLITE_PATH = VAR_DIR / "protocol_desk.sqlite3"
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A writer that cannot get the lock within this many seconds gives up, and the request
    # answers 503 with Retry-After (config/errors.py). It must end well before gunicorn kills
    # the request (GUNICORN_TIMEOUT, 30 s by default), or the user sees a dropped connection.
    SQLITE_BUSY_TIMEOUT = env_int("SQLITE_BUSY_TIMEOUT", 10)
    if env_int("GUNICORN_TIMEOUT", 30) < SQLITE_BUSY_TIMEOUT * 2:
        raise ImproperlyConfigured(
            f"SQLITE_BUSY_TIMEOUT={SQLITE_BUSY_TIMEOUT} must be at most half of "
            f"GUNICORN_TIMEOUT={env_int('GUNICORN_TIMEOUT', 30)}, so that a request waiting for "
            "the write lock is answered (503, try again) before gunicorn kills it."
        )
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": SQLITE_BUSY_TIMEOUT,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT * 1000};"
            ),
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A runaway query must not hold connections and locks forever.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options", f"-c statement_timeout={env_int('PG_STATEMENT_TIMEOUT_MS', 30000)}"
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and background work ------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
# "throttle" counts API requests per key (api/throttling.py): every web process must share it,
# or each would let the whole limit through. Redis when there is one; otherwise diskcache's
# Django backend, a small SQLite store of its own under VAR_DIR whose increments are atomic
# across processes (and which never waits for the application database's write lock).
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "protocol-desk"),
        }
    }
    CACHES["throttle"] = CACHES["default"]
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            # Room for the VEVENTs of a few large feeds (api.feeds), not Django's 300 entries.
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        },
        "throttle": {
            "BACKEND": "diskcache.DjangoCache",
            "LOCATION": str(VAR_DIR / "cache" / "throttle"),
        },
    }

Q_CLUSTER = {
    "name": env("Q_CLUSTER_NAME", "protocol-desk"),
    "workers": env_int("Q_WORKERS", 2),
    # A task may run for `timeout` seconds; a task not acknowledged after `retry` seconds is
    # handed out again, so retry must exceed timeout or running tasks get duplicated.
    "timeout": env_int("Q_TIMEOUT", 60),
    "retry": env_int("Q_RETRY", 120),
    "max_attempts": env_int("Q_MAX_ATTEMPTS", 5),
    # Failed tasks stay unacknowledged in the broker and are saved, so they can be seen and
    # retried; success results are trimmed to save_limit.
    "ack_failures": False,
    "save_limit": 500,
    "catch_up": False,
    "label": "Background tasks",
    # Periodic tasks are safe in several clusters (django-q2 locks each schedule row), but a
    # deployment may run one dedicated scheduler and turn it off in the workers.
    "scheduler": env_bool("Q_SCHEDULER", True),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    # How often idle workers look for new tasks in the database: a light indexed query.
    Q_CLUSTER["poll"] = float(env("Q_POLL_SECONDS", "0.1"))

# --- E-mail ---------------------------------------------------------------------------------
ORGANISER_NAME = env("ORGANISER_NAME", "Protocol Office")
ORGANISER_EMAIL = env("ORGANISER_EMAIL", "protocol@localhost")
DEFAULT_FROM_EMAIL = f"{ORGANISER_NAME} <{ORGANISER_EMAIL}>"
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_FILE_PATH = Path(env("EMAIL_FILE_PATH", str(VAR_DIR / "mail")))
# The organiser's mailbox, where attendees' calendars send their replies: read every minute
# when set (imaps://user:pass@host:993/INBOX, or imap:// with STARTTLS; visitors/mailbox.py).
IMAP_URL = env("IMAP_URL")
IMAP_PROCESSED_FOLDER = env("IMAP_PROCESSED_FOLDER", "Processed")
IMAP_REVIEW_FOLDER = env("IMAP_REVIEW_FOLDER", "Needs review")


def _email_from_url(url: str) -> dict:
    """smtp://user:pass@host:25, smtp+tls://…:587 (STARTTLS) or smtps://…:465 (TLS)."""
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtp+tls", "smtps"}:
        raise ImproperlyConfigured(f"EMAIL_URL scheme {parts.scheme!r}: use smtp, smtp+tls, smtps")
    query = parse_qs(parts.query)
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or {"smtp": 25, "smtp+tls": 587, "smtps": 465}[parts.scheme],
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": parts.scheme == "smtp+tls",
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_TIMEOUT": int(query.get("timeout", ["20"])[0]),
    }


if env("EMAIL_URL"):
    globals().update(_email_from_url(env("EMAIL_URL")))
elif env("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env("EMAIL_HOST")
    EMAIL_PORT = env_int("EMAIL_PORT", 25)
    EMAIL_HOST_USER = env("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
else:
    EMAIL_BACKEND = "config.mail.EmlFileBackend"

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hant", "繁體中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# How dates read in each language (config/formats/<language>/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = env("TIME_ZONE", "Asia/Hong_Kong")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]  # the staff pages' CSS (no build step)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out login is refused before its password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:calendar"
# A staff session lasts a working day and ends when the browser closes: the cookie carries no
# expiry, and the server forgets the session SESSION_HOURS after the login.
SESSION_COOKIE_AGE = env_int("SESSION_HOURS", 10) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Failed logins (staff and admin login pages alike) are counted per username and client
# address by django-axes, in the database; after AXES_FAILURE_LIMIT of them that pair is
# refused, even with the right password, until AXES_COOLOFF_MINUTES pass or staff unlock it
# (admin: Axes › Access attempts, or `manage.py axes_reset_username <name>`).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "staff/locked_out.html"  # answered with 429
AXES_VERBOSE = False  # no banner on every start; failures are still logged, with the pair
# Behind a proxy every request comes from the proxy's address: the client's is read from
# X-Forwarded-For, trusting only the entries our own TRUSTED_PROXY_COUNT proxies appended.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "config.security.client_ip"

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Bearer API keys only (api/authentication.py): no sessions, so no CSRF on the API.
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.KeyRequired"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "api.exceptions.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Protocol Desk API",
    "DESCRIPTION": "Schedules of ceremonies and VIP site visits for partners and staff tools.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # /api/docs/ serves Swagger UI's files itself (drf-spectacular-sidecar), so the docs work
    # offline and under the Content-Security-Policy.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Swagger UI would otherwise show a badge loaded from validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_standard_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "EventKindEnum": "scheduling.models.Event.Kind",
        "EventStatusEnum": "scheduling.models.Event.Status",
        "EventVisibilityEnum": "scheduling.models.Event.Visibility",
        "ProgrammeItemKindEnum": "scheduling.models.ProgrammeItem.Kind",
        "ProgrammeItemVisibilityEnum": "scheduling.models.ProgrammeItem.Visibility",
        "FacilityKindEnum": "scheduling.models.Facility.Kind",
        "BookingStatusEnum": "scheduling.models.Booking.Status",
        "OrganisationKindEnum": "visitors.models.Organisation.Kind",
        "AttendanceRoleEnum": "visitors.models.Attendance.Role",
        "AttendanceRsvpEnum": "visitors.models.Attendance.RSVP",
    },
}
# Requests a minute per API key (an ApiKey can set its own), counted in the cache.
API_RATE_PER_MINUTE = env_int("API_RATE_PER_MINUTE", 600)
# Sync tokens (and list cursors) older than this answer 410; the change log keeps this long.
API_SYNC_TOKEN_MAX_AGE_DAYS = env_int("API_SYNC_TOKEN_MAX_AGE_DAYS", 30)
# How long a POST's Idempotency-Key is remembered.
API_IDEMPOTENCY_HOURS = env_int("API_IDEMPOTENCY_HOURS", 24)

# --- Logging --------------------------------------------------------------------------------
LOG_FORMAT = env("LOG_FORMAT", "plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "config.observability.RequestIdFilter"},
        # RSVP and feed tokens are bearer secrets: no log line holds one.
        "redact_secrets": {"()": "config.observability.RedactSecretsFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "config.observability.JsonFormatter"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "redact_secrets"],
        }
    },
    "root": {"handlers": ["stdout"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # runserver prints its own lines; without this each appears twice.
        "django.utils.autoreload": {"level": "WARNING"},
        # WeasyPrint logs each step of every PDF at INFO; its warnings (a file it could not
        # read, CSS it does not know) still show.
        "weasyprint.progress": {"level": "WARNING"},
    },
}

# --- Production hardening (all from the environment) ----------------------------------------
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("SECURE_PROXY_SSL_HEADER", False) else None
)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)

# Content-Security-Policy on every answer (django-csp): scripts, styles, images, fonts and
# requests only from this origin; no inline or eval'd script anywhere (the staff pages, the
# admin and the API docs load theirs from static files); never framed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # Inline styles are allowed because they cannot run script, and the pages need them:
        # the calendar's component (EventCalendar) writes style attributes as it lays out its
        # grid, and the admin, Swagger UI and the RSVP page ship small <style> blocks.
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],  # Swagger UI's and the admin's icons are data: URLs
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Protocol Desk --------------------------------------------------------------------------
# A held booking that nobody confirms is released after this many hours.
BOOKING_HOLD_HOURS = env_int("BOOKING_HOLD_HOURS", 72)

# Invites (iTIP over e-mail). Edits to a confirmed event within this many seconds are sent as
# one update; reminders go to accepted attendees this many hours before the start.
INVITE_COALESCE_SECONDS = env_int("INVITE_COALESCE_SECONDS", 120)
INVITE_MAX_ATTEMPTS = env_int("INVITE_MAX_ATTEMPTS", 6)
INVITE_RETRY_BASE_SECONDS = env_int("INVITE_RETRY_BASE_SECONDS", 60)
INVITE_SEND_BATCH = env_int("INVITE_SEND_BATCH", 100)
# At most this many messages a minute from the organiser's mailbox, all workers together (hosted
# relays limit senders: Microsoft 365 allows 30 a minute per mailbox); 0 for no limit.
INVITE_RATE_PER_MINUTE = env_int("INVITE_RATE_PER_MINUTE", 0)
INVITE_STUCK_SECONDS = env_int("INVITE_STUCK_SECONDS", 600)
REMINDER_HOURS_BEFORE = env_int("REMINDER_HOURS_BEFORE", 24)
RSVP_LINK_MAX_AGE_DAYS = env_int("RSVP_LINK_MAX_AGE_DAYS", 120)
# A stop a tenant hosts that starts within this many days and is not confirmed by its host
# (never asked, not answered, declined, another time asked for) is an event warning.
CONSENT_WARNING_DAYS = env_int("CONSENT_WARNING_DAYS", 3)

# Printables (desk/printing.py): the office's letterhead at the top of every printable, on
# screen and in the PDF. The logo, if any, is a static file's name (e.g. "letterhead/logo.png"
# under static/ or STATIC_ROOT), read from disk when a PDF is made.
PRINT_LETTERHEAD_NAME = env("PRINT_LETTERHEAD_NAME", ORGANISER_NAME)
PRINT_LETTERHEAD_NAME_ZH = env("PRINT_LETTERHEAD_NAME_ZH")
PRINT_LETTERHEAD_ADDRESS = env("PRINT_LETTERHEAD_ADDRESS")
PRINT_LETTERHEAD_LOGO = env("PRINT_LETTERHEAD_LOGO")

# Webhooks (api/webhooks.py): a partner's endpoint answers within this many seconds or the
# attempt fails; failures are retried after a base delay that doubles, for this many hours.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 5)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 60)
WEBHOOK_RETRY_HOURS = env_int("WEBHOOK_RETRY_HOURS", 72)
# After a secret is rotated, deliveries carry a signature with the old one too for this long.
WEBHOOK_SECRET_OVERLAP_HOURS = env_int("WEBHOOK_SECRET_OVERLAP_HOURS", 24)
# Subscription feeds (api/feeds.py): events from this many days back to this many ahead, and
# how long a rendered feed stays in the cache (it is keyed by its ETag, so never stale).
FEED_PAST_DAYS = env_int("FEED_PAST_DAYS", 90)
FEED_FUTURE_DAYS = env_int("FEED_FUTURE_DAYS", 548)
FEED_CACHE_SECONDS = env_int("FEED_CACHE_SECONDS", 3600)
