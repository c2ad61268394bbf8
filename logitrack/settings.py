"""LogiTrack settings, driven entirely by environment variables.

Every variable is listed, with a comment, in ``.env.example``. With none set the
project runs on embedded defaults (SQLite file, local-memory cache) as long as
``DJANGO_DEBUG`` is on; with it off, the secrets below must be provided.
"""

import json
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

from logitrack.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

load_dotenv(BASE_DIR / ".env")

DEBUG = env_bool("DJANGO_DEBUG", default=False)

# Secrets: a development default only while DEBUG is on.
_DEV_ONLY = "insecure-development-only-key-do-not-deploy-"
SECRET_KEY = env_str("DJANGO_SECRET_KEY", default=_DEV_ONLY + "django" if DEBUG else "")
JWT_SIGNING_KEY = env_str("JWT_SIGNING_KEY", default=_DEV_ONLY + "jwt" if DEBUG else "")
ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"] if DEBUG else []
)
if not DEBUG:
    _missing = [
        name
        for name, value in (
            ("DJANGO_SECRET_KEY", SECRET_KEY),
            ("JWT_SIGNING_KEY", JWT_SIGNING_KEY),
            ("DJANGO_ALLOWED_HOSTS", ALLOWED_HOSTS),
        )
        if not value
    ]
    if _missing:
        raise ImproperlyConfigured(
            "DJANGO_DEBUG is off, so these must be set in the environment: " + ", ".join(_missing)
        )
if JWT_SIGNING_KEY == SECRET_KEY:
    raise ImproperlyConfigured("JWT_SIGNING_KEY must differ from DJANGO_SECRET_KEY.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "axes",
    "rest_framework_api_key",
    "users",
    "fleet",
    "deliveries",
    "idempotency",
    "webhooks",
    "apikeys",
    "locations",
    "demo",
]

MIDDLEWARE = [
    "logitrack.middleware.ApiMiddleware",
    "idempotency.middleware.IdempotencyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as axes asks: it turns a locked-out sign-in's answer into a 429.
    "axes.middleware.AxesMiddleware",
]

# The largest request body accepted (uploaded files aside): a larger one answers
# 413 request_too_large before it is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("REQUEST_MAX_BYTES", default=2_621_440)

ROOT_URLCONF = "logitrack.urls"
WSGI_APPLICATION = "logitrack.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "logitrack" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", default=60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", default="")
# Seconds a Redis call may take (connecting, and each answer) before it counts as failed,
# and seconds Redis is then skipped (logitrack.breaker) before it is tried again.
REDIS_TIMEOUT = env_float("REDIS_TIMEOUT", default=0.25)
REDIS_RETRY_AFTER = env_float("REDIS_RETRY_AFTER", default=2.0)


def redis_cache(url: str) -> dict:
    """The cache settings for the Redis at ``url``."""
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "logitrack",
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": REDIS_TIMEOUT,
            "SOCKET_TIMEOUT": REDIS_TIMEOUT,
            "REDIS_CLIENT_CLASS": "logitrack.breaker.Redis",
        },
    }


if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL)}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Redis down degrades to "no cache": cache reads miss and are served from the database,
# writes are dropped, throttles let requests through (the sign-in endpoints' are counted
# by each process meanwhile: logitrack.throttling). The breaker logs when Redis fails and
# when it answers again, not every skipped call.
DJANGO_REDIS_IGNORE_EXCEPTIONS = True
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = False
# Seconds a cached read (stats, vehicles, delivery pages, accounts) lives at most in the
# cache, and a server process's own copy of one: writes invalidate them at once; these
# bound how long a lost invalidation could hide a write.
CACHE_TTL = env_int("CACHE_TTL", default=60)
LOCAL_CACHE_TTL = env_float("LOCAL_CACHE_TTL", default=2.0)
# Serve delivery list pages from the cache (off: built from PostgreSQL on every request).
LIST_CACHE = env_bool("LIST_CACHE", default=True)

# Celery: Redis as broker when REDIS_URL is set; otherwise tasks run eagerly in-process.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    CELERY_BROKER_URL = "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", default=900)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", default=840)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
# A broker that is down must not hold a request: publish fails fast (then the broker is
# skipped for REDIS_RETRY_AFTER seconds) and the notification sweep sends what was not
# enqueued.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BEAT_SCHEDULE = {
    "notification-sweep": {
        "task": "deliveries.tasks.sweep_notifications",
        "schedule": env_int("NOTIFICATION_SWEEP_SECONDS", default=60),
    },
    "late-deliveries-sweep": {
        "task": "deliveries.tasks.mark_late_deliveries",
        "schedule": 60,
    },
    "late-deliveries-digest": {
        "task": "deliveries.tasks.send_late_deliveries_digest",
        "schedule": crontab(hour=env_int("DIGEST_HOUR_UTC", default=6), minute=0),
    },
    "flush-expired-tokens": {
        "task": "users.tasks.flush_expired_tokens",
        "schedule": crontab(hour=3, minute=30),
    },
    "webhook-sweep": {
        "task": "webhooks.tasks.sweep_webhook_messages",
        "schedule": env_int("WEBHOOK_SWEEP_SECONDS", default=5),
    },
    "purge-idempotency-keys": {
        "task": "idempotency.tasks.purge_expired_keys",
        "schedule": crontab(minute=15),
    },
    "purge-old-locations": {
        "task": "locations.tasks.purge_old_locations",
        "schedule": crontab(minute=45),
    },
}

# Drivers' positions are kept this many days (the hourly purge deletes older ones).
LOCATION_RETENTION_DAYS = env_int("LOCATION_RETENTION_DAYS", default=30)
# The ETA's speed: the driver's recent average, never below ETA_MIN_SPEED_KMH (a driver
# waiting at a light still arrives), and ETA_DEFAULT_SPEED_KMH when none is known.
ETA_MIN_SPEED_KMH = env_float("ETA_MIN_SPEED_KMH", default=15.0)
ETA_DEFAULT_SPEED_KMH = env_float("ETA_DEFAULT_SPEED_KMH", default=30.0)
if LOCATION_RETENTION_DAYS < 1 or min(ETA_MIN_SPEED_KMH, ETA_DEFAULT_SPEED_KMH) <= 0:
    raise ImproperlyConfigured(
        "LOCATION_RETENTION_DAYS must be 1 or more; ETA_MIN_SPEED_KMH and "
        "ETA_DEFAULT_SPEED_KMH above 0."
    )

# Hours a POST's answer is kept for repeats with the same Idempotency-Key.
IDEMPOTENCY_HOURS = env_int("IDEMPOTENCY_HOURS", default=24)

# Webhooks (services.webhooks): plain http:// URLs only while debugging or with
# WEBHOOK_ALLOW_HTTP; hosts resolving to loopback, private, link-local, multicast or
# reserved addresses only with WEBHOOK_ALLOW_PRIVATE (a receiver on the same network).
WEBHOOK_ALLOW_HTTP = env_bool("WEBHOOK_ALLOW_HTTP", default=False)
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", default=False)
# Off: an endpoint's host must be an IP address; names are refused without a DNS query
# (a server that may not query DNS, e.g. one under test).
WEBHOOK_RESOLVE_NAMES = env_bool("WEBHOOK_RESOLVE_NAMES", default=True)
# Seconds a receiver has to connect and answer.
WEBHOOK_TIMEOUT = env_float("WEBHOOK_TIMEOUT", default=10.0)

# Proof of delivery: the largest photo (JPEG, PNG or WebP) and signature (PNG) accepted, in
# bytes, and the most pixels an image may have (more: 400 invalid_image, before decoding).
PROOF_PHOTO_MAX_BYTES = env_int("PROOF_PHOTO_MAX_BYTES", default=10 * 1024 * 1024)
PROOF_SIGNATURE_MAX_BYTES = env_int("PROOF_SIGNATURE_MAX_BYTES", default=1024 * 1024)
PROOF_MAX_PIXELS = env_int("PROOF_MAX_PIXELS", default=50_000_000)

# Reports one user may have queued or being built at once (more: 429 too_many_reports).
REPORTS_AT_ONCE = env_int("REPORTS_AT_ONCE", default=3)

# E-mail: printed to the console unless EMAIL_URL-style SMTP settings are given.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env_int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", default="LogiTrack <noreply@logitrack.local>")

AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out sign-in before any password is checked (logitrack.lockout).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# Files served at the site's root (favicon.ico) by WhiteNoise, with or without DEBUG.
WHITENOISE_ROOT = BASE_DIR / "logitrack" / "public"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
# Proof-of-delivery files: never served from a URL (the API streams them to who may read
# the delivery). By default under MEDIA_ROOT/proofs/; PROOF_STORAGE_BACKEND and
# PROOF_STORAGE_OPTIONS (JSON) name another backend, e.g. django-storages' S3 (docs/deploy.md).
PROOF_STORAGE_BACKEND = env_str(
    "PROOF_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"
)
try:
    PROOF_STORAGE_OPTIONS = json.loads(env_str("PROOF_STORAGE_OPTIONS", default="{}"))
except ValueError as exc:
    raise ImproperlyConfigured("PROOF_STORAGE_OPTIONS must be a JSON object.") from exc
if not isinstance(PROOF_STORAGE_OPTIONS, dict):
    raise ImproperlyConfigured("PROOF_STORAGE_OPTIONS must be a JSON object.")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "proofs": {"BACKEND": PROOF_STORAGE_BACKEND, "OPTIONS": PROOF_STORAGE_OPTIONS},
    # Served by WhiteNoise, compressed, so the admin and the docs need no web server.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Security (production shape whenever DJANGO_DEBUG is off) ------------------------
# Behind a proxy that terminates TLS and sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^health/"]
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# The frontend's origins, e.g. https://app.example.com (comma-separated).
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"

API_DOCS_PUBLIC = env_bool("API_DOCS_PUBLIC", default=DEBUG)

# Reverse proxies in front of the application. 0: clients connect to it directly and the
# socket's address is the client's; X-Forwarded-For is the client's to write and is
# ignored. N: the Nth address from the right of X-Forwarded-For is the client's (the one
# the outermost proxy saw); what stands left of it may be forged. The throttles and the
# sign-in lockout key on that address; gunicorn.conf.py reads the same variable.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")

# Sign-in lockout (django-axes, logitrack.lockout): LOCKOUT_FAILURES failed sign-ins for
# one username from one address, on the admin's login page or the API's token endpoint,
# refuse that pair until LOCKOUT_MINUTES pass without another try. Attempts are kept in the
# database, not the cache, so the lockout holds while Redis is down.
AXES_FAILURE_LIMIT = env_int("LOCKOUT_FAILURES", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOCKOUT_MINUTES", default=15))
if AXES_FAILURE_LIMIT < 1 or timedelta(minutes=1) > AXES_COOLOFF_TIME:
    # axes reads no cool-off as "locked until an administrator unlocks".
    raise ImproperlyConfigured("LOCKOUT_FAILURES and LOCKOUT_MINUTES must be 1 or more.")
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_CLIENT_IP_CALLABLE = "logitrack.lockout.client_address"
AXES_USERNAME_CALLABLE = "logitrack.lockout.client_username"
AXES_LOCKOUT_CALLABLE = "logitrack.lockout.lockout_response"
# Its log lines name the account and the address (what an operator needs to judge an
# attack; passwords are never logged), without the user agent.
AXES_SENSITIVE_PARAMETERS: list[str] = []
AXES_VERBOSE = False

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "logitrack.authentication.JWTAuthentication",
        "apikeys.authentication.ApiKeyAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "logitrack.negotiation.ContentNegotiation",
    "DEFAULT_PARSER_CLASSES": ["logitrack.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": [
        "logitrack.filters.FilterBackend",
        "logitrack.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "logitrack.pagination.PageNumberPagination",
    "DEFAULT_THROTTLE_CLASSES": [
        "logitrack.throttling.AnonRateThrottle",
        "logitrack.throttling.UserRateThrottle",
        "logitrack.throttling.ScopedRateThrottle",
    ],
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("THROTTLE_ANON_RATE", default="120/min"),
        "user": env_str("THROTTLE_USER_RATE", default="1200/min"),
        "auth": env_str("THROTTLE_AUTH_RATE", default="10/min"),
        "track": env_str("THROTTLE_TRACK_RATE", default="60/min"),
    },
    "DEFAULT_SCHEMA_CLASS": "logitrack.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

DRF_STANDARDIZED_ERRORS = {
    "EXCEPTION_HANDLER_CLASS": "logitrack.exception_handler.ExceptionHandler",
    "EXCEPTION_FORMATTER_CLASS": "logitrack.exception_handler.ExceptionFormatter",
    # A stack trace never reaches an /api/ client, not even with DEBUG on.
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
    "ALLOWED_ERROR_STATUS_CODES": ["400", "401", "403", "404", "405", "413", "415", "429", "500"],
    # Codes besides DRF's (logitrack.openapi): simplejwt's and API keys' 401s, the 403s
    # of roles and API keys, a body too large, too many reports in the works.
    "ERROR_SCHEMAS": {
        status: f"logitrack.openapi.ErrorResponse{status}Serializer"
        for status in ("401", "403", "413", "429")
    },
}

ACCESS_TOKEN_LIFETIME = timedelta(minutes=env_int("JWT_ACCESS_MINUTES", default=15))
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": ACCESS_TOKEN_LIFETIME,
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Tokens carry a fingerprint of the password hash: setting a new password (the API,
    # the admin, a command) refuses every access and refresh token issued before it.
    "CHECK_REVOKE_TOKEN": True,
    "TOKEN_OBTAIN_SERIALIZER": "users.serializers.TokenObtainPairSerializer",
    "TOKEN_REFRESH_SERIALIZER": "users.serializers.TokenRefreshSerializer",
    "AUTH_TOKEN_CLASSES": ("users.tokens.AccessToken",),
}
if timedelta(minutes=15) < ACCESS_TOKEN_LIFETIME:
    raise ImproperlyConfigured("JWT_ACCESS_MINUTES may be at most 15.")

_ERROR_ENUMS = [
    "ValidationErrorEnum",
    "ClientErrorEnum",
    "ServerErrorEnum",
    "ErrorCode404Enum",
    "ErrorCode405Enum",
    "ErrorCode415Enum",
    "ErrorCode500Enum",
]
SPECTACULAR_SETTINGS = {
    "TITLE": "LogiTrack API",
    "DESCRIPTION": (
        "Fleet and deliveries. Sign in with `POST /api/v1/auth/token/`, then use "
        "**Authorize** with the access token. Errors always have the shape "
        '`{"type", "errors": [{"code", "detail", "attr"}]}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No validator badge: it would send the schema's address to validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "validatorUrl": None},
    "ENUM_NAME_OVERRIDES": {
        **{
            name: f"drf_standardized_errors.openapi_serializers.{name}.choices"
            for name in _ERROR_ENUMS
        },
        **{
            f"ErrorCode{status}Enum": f"logitrack.openapi.ErrorCode{status}.choices"
            for status in ("401", "403", "413", "429")
        },
        "ApiKeyRoleEnum": "apikeys.models.ApiKeyRole.choices",
        "DeliveryStatusEnum": "deliveries.models.DeliveryStatus.choices",
        "EventKindEnum": "deliveries.models.EventKind.choices",
        "ReportKindEnum": "deliveries.models.ReportKind.choices",
        "VehicleStatusEnum": "fleet.models.VehicleStatus.choices",
        "VehicleTypeEnum": "fleet.models.VehicleType.choices",
        "RoleEnum": "users.models.Role.choices",
        "ProofKindEnum": "deliveries.models.ProofKind.choices",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        "logitrack.openapi.document_list_indexes",
        "logitrack.openapi_docs.postprocess_summaries",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", default="INFO")},
    # Django's own console handler would print every request warning twice.
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # axes says at INFO what it does on every sign-in; failures and lockouts are WARNING.
        "axes": {"level": "WARNING"},
    },
}
