"""Waymark settings: one module, configured from the environment.

The embedded default is SQLite under var/ with Celery tasks run eagerly; DEBUG is off unless
DEBUG=1 is set (`make run` sets it, as does the test suite's tests/settings.py). Production differs
only by environment variables; see README.md for the list.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    # manage.py marks the commands that serve and sign nothing (makemigrations, makemessages …).
    if not DEBUG and not os.environ.get("WAYMARK_OFFLINE_COMMAND"):
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (set DEBUG=1 for development).")
    SECRET_KEY = "insecure-development-key-only-for-debug"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "simple_history",
    "csp",
    "corsheaders",
    "teams",
    "webhooks",
    "personas",
    "journeys",
    "owners",
    "customers",
    "analytics",
    "feedback",
    "experiments",
    "automations",
    "discussions",
    "reviews",
    "search",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "teams.middleware.CorsMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "teams.middleware.UnstorableInputMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "teams.middleware.CurrentTeamMiddleware",
    "teams.middleware.LanguageMiddleware",
    "teams.middleware.HtmxMessagesMiddleware",
    "teams.middleware.SharedServiceUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "teams.context_processors.teams",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# Database: SQLite under var/ unless DATABASE_URL names another (postgres://… uses psycopg 3).
(BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'var' / 'waymark.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers on SQLite wait for the lock instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg prepares a statement bound on the server after this many runs; the public
    # submission binds its statement on the server, so PostgreSQL plans it once per connection
    # instead of once per answer. Django turns preparing off unless OPTIONS names a threshold, so
    # psycopg's own default (5) is named here. Django's other queries bind on the client and are
    # never prepared. "off" for PgBouncer in transaction mode.
    threshold = env_str("DB_PREPARE_THRESHOLD", "5").strip().lower()
    if threshold != "off" and not threshold.isdigit():
        raise ImproperlyConfigured("DB_PREPARE_THRESHOLD must be a whole number or off.")
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None if threshold == "off" else int(threshold)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# The interface's languages. A person's own choice wins, then their team's default, then the
# browser's Accept-Language (teams.middleware.LanguageMiddleware); the API honours Accept-Language.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("zh-hant", "繁體中文"),
    ("zh-hans", "简体中文"),
    ("lv", "Latviešu"),
    ("bg", "Български"),
]
# Strings outside an app (the base templates, settings) live here; each app keeps its own locale/.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
MEDIA_URL = "media/"
# Uploaded files: the app's own storage (MEDIA_ROOT, served by personas.media to the owning team),
# or an S3-compatible bucket when MEDIA_S3_BUCKET is set (kept private: URLs are signed and expire).
MEDIA_S3_BUCKET = env_str("MEDIA_S3_BUCKET")
MEDIA_S3_ENDPOINT_URL = env_str("MEDIA_S3_ENDPOINT_URL")
if MEDIA_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            "endpoint_url": MEDIA_S3_ENDPOINT_URL or None,
            "region_name": env_str("MEDIA_S3_REGION") or None,
            "access_key": env_str("MEDIA_S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("MEDIA_S3_SECRET_ACCESS_KEY") or None,
            "location": env_str("MEDIA_S3_PREFIX"),
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": env_int("MEDIA_S3_URL_SECONDS", 3600),
            "file_overwrite": False,
        },
    }

# Cache: Redis when REDIS_URL is set (shared by every web process, which the rate limits need),
# else process-local memory. Sessions stay in the database (Django's default engine), so Redis
# being down logs nobody out; the rate limits then count per process (teams/ratelimit.py).
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    # A Redis that hangs must not hang the requests: give up on a connection or a reply after this.
    REDIS_TIMEOUT_SECONDS = float(env_str("REDIS_TIMEOUT_SECONDS", "0.5"))
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": REDIS_TIMEOUT_SECONDS, "socket_timeout": REDIS_TIMEOUT_SECONDS},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Email
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Waymark <waymark@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security: on whenever DEBUG is off, so `check --deploy` is clean with production variables.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Content-Security-Policy on every response (django-csp): scripts and style sheets only from this
# site, no inline scripts or handlers (static/waymark/app.js handles data-* attributes instead), and
# a <style> element only with the request's nonce. style="" attributes stay allowed (avatar colours,
# chart and board positions are set per element); they cannot run code. Nobody may frame the app,
# except the hosted survey page, for its survey's allowed origins (feedback/public.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:", *([MEDIA_S3_ENDPOINT_URL or "https://*.amazonaws.com"] if MEDIA_S3_BUCKET else [])],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
SILENCED_SYSTEM_CHECKS = env_list("SILENCED_SYSTEM_CHECKS")

# Celery: Redis broker when REDIS_URL (or CELERY_BROKER_URL) is set; otherwise run tasks eagerly
# in-process, which is what the embedded default and the test suite use.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", REDIS_URL) or None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# Periodic tasks; each app's issue adds its own entry here.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {}
# The SLA clock: overdue hand-offs are recorded, their owners emailed, admins escalated to (owners/tasks.py).
CELERY_BEAT_SCHEDULE["sla-sweep"] = {"task": "owners.tasks.sla_sweep", "schedule": 300.0}
# Mention emails the broker or the mail server missed, and expired presence rows (discussions/tasks.py).
CELERY_BEAT_SCHEDULE["discussions-sweep"] = {"task": "discussions.tasks.mention_emails_sweep", "schedule": 300.0}

# REST framework
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "teams.api_auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["teams.permissions.TeamRolePermission"],
    "DEFAULT_PARSER_CLASSES": [
        "teams.api_parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "teams.filters.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "teams.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "teams.api_errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["teams.api_auth.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": env_str("API_KEY_RATE", "600/min")},
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Waymark API",
    "DESCRIPTION": "Customer journey maps, owners and SLAs, feedback and experiments. See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Several models have a field named "status"; give each choice set its own name.
    "ENUM_NAME_OVERRIDES": {
        "JourneyMapStatusEnum": "journeys.models.maps.JourneyMap.Status",
        "PainPointStatusEnum": "journeys.models.maps.PainPoint.Status",
        "ReviewKindEnum": "reviews.models.Review.Kind",
        "SurveyKindEnum": "feedback.models.Survey.Kind",
        "SurveyStatusEnum": "feedback.models.Survey.Status",
        "QuestionKindEnum": "feedback.models.Question.Kind",
        "FollowUpStatusEnum": "feedback.models.FollowUp.Status",
        "ExperimentStatusEnum": "experiments.models.Experiment.Status",
        "TeamRoleEnum": "teams.models.Role",
        "SourceKindEnum": "customers.models.Source.Kind",
        "IdentityKindEnum": "customers.models.Identity.Kind",
        "ChannelEnum": "journeys.models.maps.Channel",
        "SubmissionChannelEnum": "feedback.validation.Channel.ALL",
        "AutomationStepKindEnum": "automations.models.Step.Kind",
        "NotificationKindEnum": "discussions.models.Notification.Kind",
        "SearchEntryKindEnum": "search.models.SearchEntry.Kind",
        "MapChangeKindEnum": "journeys.models.changes.MapChange.Kind",
        "LaneKindEnum": "journeys.models.lanes.Lane.Kind",
    },
    "APPEND_COMPONENTS": {
        "securitySchemes": {"ApiKey": {"type": "http", "scheme": "bearer", "description": "Team API key"}}
    },
    "SECURITY": [{"ApiKey": []}],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "teams.api_errors.add_error_responses",
    ],
    # The API's URLs plus documentation-only views for the plain public survey endpoints.
    "SERVE_URLCONF": "config.schema_urls",
    "DEFAULT_GENERATOR_CLASS": "config.schema.SchemaGenerator",
    "TAGS": [{"name": "public", "description": "Anonymous survey endpoints for the widget and other clients."}],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Waymark
WAYMARK_DEMO_PASSWORD = "waymark-demo"  # noqa: S105 (documented demo login, seed_demo only)

# Webhooks: outgoing deliveries never reach loopback, private, link-local or reserved addresses
# (no server-side request forgery) unless the operator allows it, e.g. for a receiver on the LAN.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)
WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT", 10)  # seconds to connect, and to wait for each read
# An attempt claims its delivery for this long; if its worker dies, the sweep sends it again after.
WEBHOOK_LEASE_SECONDS = env_int("WEBHOOK_LEASE_SECONDS", max(60, 6 * WEBHOOK_TIMEOUT))
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8)  # first try plus retries, with back-off
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 60)  # 1 min, 4 min, 16 min … capped at 6 h
WEBHOOK_DISABLE_AFTER_FAILURES = env_int("WEBHOOK_DISABLE_AFTER_FAILURES", 20)  # failed attempts in a row
CELERY_BEAT_SCHEDULE["webhooks-retry-due"] = {"task": "webhooks.tasks.webhook_deliveries_retry_due", "schedule": 60.0}
# Events stored while the broker was down, or whose worker died, are matched to stages by this sweep.
CELERY_BEAT_SCHEDULE["customers-match-due"] = {"task": "customers.tasks.events_match_due", "schedule": 60.0}
# Events older than their team's retention period are deleted in batches (customers/services.py).
CELERY_BEAT_SCHEDULE["customers-retention"] = {"task": "customers.tasks.events_retention_sweep", "schedule": 3600.0}
# On PostgreSQL, events are partitioned by month: this creates the coming months' partitions
# (customers/partitions.py); events of a month without one wait in the DEFAULT partition.
CELERY_BEAT_SCHEDULE["customers-event-partitions"] = {
    "task": "customers.tasks.event_partitions_ensure",
    "schedule": 6 * 3600.0,
}
# The ClickHouse tier (docs/scaling.md): with CLICKHOUSE_URL set, events are copied there in batches
# behind a cursor and analytics read them there; CLICKHOUSE_CLUSTER names the cluster for its DDL.
CLICKHOUSE_URL = env_str("CLICKHOUSE_URL")
CLICKHOUSE_CLUSTER = env_str("CLICKHOUSE_CLUSTER")
CELERY_BEAT_SCHEDULE["customers-clickhouse-ship"] = {"task": "customers.tasks.clickhouse_ship", "schedule": 10.0}

# How often each web process pushes its rate-limit counts to Redis and reads the totals and the
# per-process caches' versions back (teams/shared_state.py); 0 turns the background thread off.
SHARED_STATE_SYNC_SECONDS = float(env_str("SHARED_STATE_SYNC_SECONDS", "0.2"))

# Feedback: the public survey endpoint and the follow-up SLA sweep.
# Cross-origin reads (django-cors-headers) only on the public JSON endpoints: the survey endpoints
# for each survey's allowed origins (feedback.public.cors_origin_allowed), the tracking API for
# every origin (customers.public.cors_origin_allowed: write keys are public in a browser).
CORS_URLS_REGEX = r"^/(api/public/surveys/[^/]+/((eligibility|displays|responses)/)?|v1/.*)$"
CORS_ALLOW_METHODS = ("GET", "POST", "OPTIONS")
CORS_ALLOW_HEADERS = ("Content-Type", "Authorization", "Content-Encoding")
CORS_PREFLIGHT_MAX_AGE = 600
# A 429 or 503 says when to come back; without this a cross-origin script cannot read it.
CORS_EXPOSE_HEADERS = ("Retry-After",)
# django-cors-headers' defaults, named: it reads each of these (the old names too, as the fallback
# of the new ones) on every request it answers, and a setting that is not defined costs a raised
# and caught AttributeError each time: nine per public answer.
CORS_ALLOW_ALL_ORIGINS = CORS_ORIGIN_ALLOW_ALL = False
CORS_ALLOWED_ORIGINS = CORS_ORIGIN_WHITELIST = ()
CORS_ALLOWED_ORIGIN_REGEXES = CORS_ORIGIN_REGEX_WHITELIST = ()
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_PRIVATE_NETWORK = False
FEEDBACK_RATE_LIMIT = env_str("FEEDBACK_RATE_LIMIT", "120/min")  # public requests per client address
FEEDBACK_MAX_BODY_BYTES = env_int("FEEDBACK_MAX_BODY_BYTES", 16_384)  # larger posts get 413
FEEDBACK_TEAM_CAP_DAYS = env_int("FEEDBACK_TEAM_CAP_DAYS", 7)  # one survey of a team per respondent per N days
# How long a web process keeps a survey, its team's themes and a touchpoint's follow-up routing when
# Redis cannot confirm they are current (0: no per-process cache); every change reloads them at once.
FEEDBACK_SURVEY_CACHE_SECONDS = env_int("FEEDBACK_SURVEY_CACHE_SECONDS", 5)
# Behind a proxy the client address is the first of X-Forwarded-For; trust it only when told to.
FEEDBACK_TRUST_X_FORWARDED_FOR = env_bool("FEEDBACK_TRUST_X_FORWARDED_FOR", default=False)
CELERY_BEAT_SCHEDULE["feedback-followup-sla-sweep"] = {"task": "feedback.tasks.followup_sla_sweep", "schedule": 300.0}
# The map page's scores (the last 90 days' NPS, CSAT and CES per touchpoint and stage) are read from
# stored sums (feedback/stats.py), as the overlay's counts are: refreshed this often, ignored when
# older than the maximum age.
FEEDBACK_MAP_SCORES_REFRESH_SECONDS = env_int("FEEDBACK_MAP_SCORES_REFRESH_SECONDS", 300)
FEEDBACK_MAP_SCORES_MAX_AGE_SECONDS = env_int("FEEDBACK_MAP_SCORES_MAX_AGE_SECONDS", 900)
CELERY_BEAT_SCHEDULE["feedback-map-scores"] = {
    "task": "feedback.tasks.map_scores_refresh_all",
    "schedule": float(FEEDBACK_MAP_SCORES_REFRESH_SECONDS),
}

# The survey and map statistics read their window's full days from stored daily sums
# (feedback/rollup.py): days already ended and changes since are read from the responses, so this
# only decides how much is read raw, never whether a figure is exact. It is also the longest a
# transaction writing responses may stay open (the next refresh's watermark is this one's top id).
FEEDBACK_ROLLUP_REFRESH_SECONDS = env_int("FEEDBACK_ROLLUP_REFRESH_SECONDS", 300)
CELERY_BEAT_SCHEDULE["feedback-rollup"] = {
    "task": "feedback.tasks.rollup_refresh",
    "schedule": float(FEEDBACK_ROLLUP_REFRESH_SECONDS),
}

# Reviews: every hour, send the weekly digest of the teams whose digest day and hour have come
# (each team sets them in its own time zone; reviews/digest.py).
CELERY_BEAT_SCHEDULE["reviews-weekly-digest"] = {"task": "reviews.tasks.dispatch_weekly_digests", "schedule": 3600.0}
# Behavioural metrics store one observation per local day, once; hourly so that each team's day is
# stored soon after it ends in its own time zone (a day already stored is skipped).
# The map page's stage figures are stored, not computed per view (analytics/stages.py).
CELERY_BEAT_SCHEDULE["analytics-stage-stats"] = {"task": "analytics.tasks.stage_stats_refresh_all", "schedule": 900.0}
# The stored stage funnel (analytics/stage_store.py): queued profiles every minute; a read refreshes
# what is still queued itself, so this bounds the work a read does, not how stale it can be.
CELERY_BEAT_SCHEDULE["analytics-stage-funnels"] = {
    "task": "analytics.tasks.stage_funnels_refresh_all",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["experiments-metrics-from-events"] = {
    "task": "experiments.tasks.metrics_compute_from_events",
    "schedule": 3600.0,
}

# Customers: the Segment-compatible tracking API (customers/public.py) and stage tracking.
CUSTOMERS_SOURCE_RATE_LIMIT = env_str("CUSTOMERS_SOURCE_RATE_LIMIT", "1000/s")  # requests per source
CUSTOMERS_SKEW_FLAG_SECONDS = env_int("CUSTOMERS_SKEW_FLAG_SECONDS", 600)  # client clock off by more: flagged
CUSTOMERS_FUTURE_TOLERANCE_SECONDS = env_int("CUSTOMERS_FUTURE_TOLERANCE_SECONDS", 3600)  # later: timestamp_future
CUSTOMERS_PAST_TOLERANCE_DAYS = env_int("CUSTOMERS_PAST_TOLERANCE_DAYS", 730)  # earlier: timestamp_past
CUSTOMERS_RULE_CACHE_SECONDS = env_int("CUSTOMERS_RULE_CACHE_SECONDS", 30)  # per-process tracking-plan cache
CUSTOMERS_PERSONA_BATCH_SIZE = env_int("CUSTOMERS_PERSONA_BATCH_SIZE", 1000)  # profiles a batch on a rule change
CUSTOMERS_EVENT_PARTITIONS_AHEAD = env_int("CUSTOMERS_EVENT_PARTITIONS_AHEAD", 3)  # months created ahead (PostgreSQL)
# Customers per demo map made by seed_demo (a quarter of it on the second team's maps): 1000 gives
# 3,500 profiles and about 17,000 events in under a minute; the test settings use a few dozen.
CUSTOMERS_DEMO_PROFILES_PER_MAP = env_int("CUSTOMERS_DEMO_PROFILES_PER_MAP", 1000)
# The map page's tracking overlay is read from stored counts (customers/overlay.py), refreshed this
# often; a stored row older than the maximum age is ignored and the counts computed per view, so
# the page's figures are never older than it.
CUSTOMERS_OVERLAY_REFRESH_SECONDS = env_int("CUSTOMERS_OVERLAY_REFRESH_SECONDS", 300)
CUSTOMERS_OVERLAY_MAX_AGE_SECONDS = env_int("CUSTOMERS_OVERLAY_MAX_AGE_SECONDS", 900)
CELERY_BEAT_SCHEDULE["customers-overlay-stats"] = {
    "task": "customers.tasks.overlay_stats_refresh_all",
    "schedule": float(CUSTOMERS_OVERLAY_REFRESH_SECONDS),
}

# Journeys: PNG/PDF exports of a map (journeys/canvas.py) set Chinese text in Noto Sans CJK; the
# first of these files that exists is used (Debian's fonts-noto-cjk installs the first).
EXPORT_CJK_FONTS = env_list(
    "EXPORT_CJK_FONTS",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc,/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
)

# Automations: the sweep enrols stalled customers, advances due enrolments and queues due sends;
# a send claimed by a worker that died is taken over once its lease runs out.
CELERY_BEAT_SCHEDULE["automations-sweep"] = {"task": "automations.tasks.automations_sweep", "schedule": 60.0}
# Triggers have a queue of their own: the arrival drain (automations' "did an event" triggers) and
# the advance that writes an enrolment's first action never wait behind a burst of sends or the
# matching. A worker must consume it (`make worker` takes both queues; in production run one
# `-Q triggers` beside the others). Without one nothing is lost, only slower: the matching enrols
# and the sweep advances within a minute.
CELERY_TASK_ROUTES = {
    "automations.tasks.automation_advance": {"queue": "triggers"},
    "customers.tasks.events_arrive_queued": {"queue": "triggers"},
    "customers.tasks.events_arrive": {"queue": "triggers"},
}
AUTOMATION_LEASE_SECONDS = env_int("AUTOMATION_LEASE_SECONDS", 300)
AUTOMATION_MESSAGE_DOMAIN = env_str("AUTOMATION_MESSAGE_DOMAIN", "waymark.invalid")
