"""Settings shared by every environment. Secure by default; dev.py relaxes."""

from pathlib import Path

import dj_database_url

from operations.error_reporting import git_commit, init_sentry
from operations.logging import logging_config

from . import env

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = env.DEBUG
SECRET_KEY = env.SECRET_KEY
ALLOWED_HOSTS = env.ALLOWED_HOSTS
CSRF_TRUSTED_ORIGINS = env.CSRF_TRUSTED_ORIGINS

INSTALLED_APPS = [
    "home",
    "practices",
    "editorial",
    "coordination",
    "adoptions",
    "imports",
    "highlights",
    "search",
    "operations",
    "mailqueue",
    "insights",
    "opendata",
    "feeds",
    "alerts",
    "wagtail_localize",
    "wagtail_localize.locales",  # replaces wagtail.locales
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",  # SearchVectorField and GIN index (inert on SQLite)
]

MIDDLEWARE = [
    "operations.middleware.RequestIdMiddleware",  # first: every log line of the request carries its id
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kb.csp.ContentSecurityPolicyMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "editorial.visibility.PageReadScopeMiddleware",  # admin URLs naming a page: only pages the user may read
]

ROOT_URLCONF = "kb.urls"
WSGI_APPLICATION = "kb.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

# Each thread keeps its connection for up to 60 s; before reusing one in a request, Django checks it
# (one SELECT 1), so a connection PostgreSQL or a pooler dropped meanwhile is replaced instead of failing
# the request (docs/operations.md, "Database connections with several workers").
DATABASES = {
    "default": dj_database_url.parse(
        env.DATABASE_URL or f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Readers never wait for a writer (WAL; NORMAL is durable there except on power loss), and a
    # writer takes its lock when its transaction begins (IMMEDIATE), so a busy database makes it
    # wait up to the busy timeout instead of failing at once on a lock upgrade. WAL is ignored by
    # the tests' in-memory databases.
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        "transaction_mode": "IMMEDIATE",
        "timeout": env.SQLITE_BUSY_TIMEOUT,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One cache shared by every process when CACHE_URL names a Redis server (rate limits, login throttling,
# sessions, Wagtail's own caches); otherwise each process keeps its own memory cache (the embedded site).
def redis_caches(cache: dict, key_prefix: str) -> dict:
    """"default" answers a miss when Redis is unreachable (logged, kb/cache.py), so no page fails because
    of the cache; "strict" raises, for counters whose callers decide what an outage means (kb/ratelimit.py).
    Short socket timeouts: a Redis that is down or frozen costs a request about a second, never a hang."""
    strict = {**cache, "KEY_PREFIX": key_prefix, "OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}}
    return {"default": {**strict, "BACKEND": "kb.cache.TolerantRedisCache"}, "strict": strict}


# Both aliases share one memory store (same LOCATION) when there is no Redis.
LOCAL_CACHES = {alias: {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "kb"}
                for alias in ("default", "strict")}
if env.CACHE:
    CACHES = redis_caches(env.CACHE, env.CACHE_KEY_PREFIX)
    # Sessions are read from Redis and written through to the database, so a Redis restart logs nobody out.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = LOCAL_CACHES
# Reverse proxies whose X-Forwarded-For names the client (kb/client_ip.py).
TRUSTED_PROXIES = env.TRUSTED_PROXIES

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Languages: Finnish is the default; Swedish and English are full content languages.
LANGUAGE_CODE = "fi"
LANGUAGES = [("fi", "Suomi"), ("sv", "Svenska"), ("en", "English")]
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
WAGTAILADMIN_USER_LOGIN_FORM = "kb.admin_forms.LoginForm"  # translates the password label
WAGTAIL_I18N_ENABLED = True
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Helsinki"
USE_I18N = True
USE_TZ = True
# Translations must go through review, never go live on their own.
WAGTAILLOCALIZE_SYNC_LIVE_STATUS_ON_TRANSLATE = False

STATIC_URL = "/static/"
STATIC_ROOT = env.STATIC_ROOT or str(BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.MEDIA_ROOT or str(BASE_DIR / "media")
# The open data dump (`manage.py export_open_data`), served at /open-data/ (docs/open-data.md).
OPEN_DATA_ROOT = env.OPEN_DATA_ROOT or str(BASE_DIR / "var" / "open-data")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Wagtail's own search (admin) always uses the database, so editing never depends on a search
# cluster. KB's public search (search/) uses Elasticsearch when a URL is set, and falls back to
# the database when the cluster is down or slow.
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
KB_ELASTICSEARCH_URL = env.ELASTICSEARCH_URL  # node URLs of one cluster; empty: the database only
KB_ELASTICSEARCH_TIMEOUT = env.ELASTICSEARCH_TIMEOUT  # seconds per search before falling back
KB_ELASTICSEARCH_COUNTS_TIMEOUT = env.ELASTICSEARCH_COUNTS_TIMEOUT  # pages that only show counts
KB_ELASTICSEARCH_ADMIN_TIMEOUT = env.ELASTICSEARCH_ADMIN_TIMEOUT  # index worker, reindex, check_index
KB_ELASTICSEARCH_COOLDOWN = env.ELASTICSEARCH_COOLDOWN  # seconds the circuit breaker skips a failed cluster
# The change log (search/changelog.py) is also applied after a response, at most this often per
# process (seconds; 0: only after commits and by `manage.py run_index_worker`).
KB_INDEX_DRAIN_INTERVAL = env.INDEX_DRAIN_INTERVAL
KB_ELASTICSEARCH_INDEX_PREFIX = env.ELASTICSEARCH_INDEX_PREFIX
KB_ELASTICSEARCH_SHARDS = env.ELASTICSEARCH_SHARDS  # primary shards per index (when it is created)
KB_ELASTICSEARCH_REPLICAS = env.ELASTICSEARCH_REPLICAS  # replicas per shard: a number or a range ("0-1")

WAGTAIL_SITE_NAME = "KB"
# Approval publishes as Wagtail does, after recording the review date of a practice (editorial/approval.py).
WAGTAIL_FINISH_WORKFLOW_ACTION = "editorial.approval.publish_reviewed"
# No remote avatars: Wagtail would otherwise send a hash of every editor's email to gravatar.com from
# the admin (the browser tests block and report any request to another host).
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILADMIN_BASE_URL = env.BASE_URL
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "rtf", "txt", "xlsx"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAIL_ALLOW_UNICODE_SLUGS = False
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# Every email (workflow notifications, proposals, reminders) is stored in the database queue in the
# sender's transaction and delivered through MAILQUEUE_TRANSPORT with retries (mailqueue/, docs/email.md).
EMAIL_BACKEND = "mailqueue.backends.QueuedEmailBackend"
MAILQUEUE_TRANSPORT = env.EMAIL_TRANSPORT.backend
EMAIL_HOST = env.EMAIL_TRANSPORT.host
EMAIL_PORT = env.EMAIL_TRANSPORT.port
EMAIL_HOST_USER = env.EMAIL_TRANSPORT.user
EMAIL_HOST_PASSWORD = env.EMAIL_TRANSPORT.password
EMAIL_USE_TLS = env.EMAIL_TRANSPORT.use_tls
EMAIL_USE_SSL = env.EMAIL_TRANSPORT.use_ssl
EMAIL_TIMEOUT = env.EMAIL_TIMEOUT
MAILQUEUE_MAX_ATTEMPTS = 30  # 30 s doubling to 1 h between attempts: about 24 hours of trying
MAILQUEUE_KEEP_SENT_DAYS = 30
DEFAULT_FROM_EMAIL = env.DEFAULT_FROM_EMAIL
SERVER_EMAIL = env.DEFAULT_FROM_EMAIL
# Workflow notifications (submitted, approved, changes requested with the reviewer's comment) go to
# the region's reviewers and to the author, not to every superuser: superusers only administer.
WAGTAILADMIN_NOTIFICATION_FROM_EMAIL = DEFAULT_FROM_EMAIL
WAGTAILADMIN_NOTIFICATION_INCLUDE_SUPERUSERS = False

# Security: strict here, relaxed only in dev.py and test.py.
SECURE_SSL_REDIRECT = env.SECURE_SSL_REDIRECT
# A load balancer probes the health endpoints over plain HTTP: answered, not redirected to HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# Whether a request came over HTTPS is gunicorn's decision (wsgi.url_scheme): it believes
# X-Forwarded-Proto only from TRUSTED_PROXIES (kb/gunicorn.conf.py). Django's SECURE_PROXY_SSL_HEADER
# would believe the header from anyone, so it stays unset.
SECURE_HSTS_SECONDS = env.SECURE_HSTS_SECONDS
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"  # Wagtail's preview views override this with SAMEORIGIN themselves
# Wagtail's page search lists only the pages an editor may explore (their own and those pages'
# ancestors); the page choosers are scoped in editorial/visibility.py. Stated, not left to a default.
WAGTAILADMIN_PAGE_SEARCH_FILTER_BY_PERMISSIONS = True

# Content-Security-Policy (django-csp, kb/csp.py). Public pages: only this site's own files, no inline
# script or style, no plugins, never framed. The templates keep it that way (tests/test_security_headers.py).
_CSP_REPORTING = {"report-uri": env.CSP_REPORT_URI} if env.CSP_REPORT_URI else {}
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
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
        "upgrade-insecure-requests": False,  # on in production.py, where the site is served over HTTPS
        **_CSP_REPORTING,
    },
}
# Wagtail's admin (and the documents it serves) under these prefixes gets its own policy:
KB_ADMIN_CSP_PREFIXES = ["/admin/"]
# Wagtail 8's admin writes inline <script> blocks (e.g. the page editor's and the listings' set-up code)
# and inline style attributes in its own templates, without nonces, so it cannot run without
# 'unsafe-inline' (measured in Chromium: tests/browser/test_csp.py). The relaxation is limited to the
# admin, where only signed-in editors go; every other source stays this site's own.
KB_ADMIN_CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        **CONTENT_SECURITY_POLICY["DIRECTIVES"],
        "script-src": ["'self'", "'unsafe-inline'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        # The preview panel frames the page being edited, from the admin itself.
        "frame-src": ["'self'"],
        "frame-ancestors": ["'self'"],
    },
}

# Logs on stderr with the request id (operations/logging.py): readable text here, JSON lines in
# production (production.py), LOG_FORMAT overrides either.
LOGGING_CONFIG = "operations.logging.configure"
LOGGING = logging_config(env.LOG_FORMAT or "text", env.LOG_LEVEL)
# Error reporting only when SENTRY_DSN is set; nothing personal is sent (operations/error_reporting.py).
if env.SENTRY_DSN:
    init_sentry(env.SENTRY_DSN, env.SENTRY_ENVIRONMENT, env.SENTRY_RELEASE or git_commit(BASE_DIR),
                env.SENTRY_TRACES_SAMPLE_RATE)
# /readyz (operations/health.py): seconds per check; "degraded" above these ages in seconds.
READYZ_TIMEOUT = env.READYZ_TIMEOUT
READYZ_MAX_INDEX_LAG = env.READYZ_MAX_INDEX_LAG
READYZ_MAX_EMAIL_AGE = env.READYZ_MAX_EMAIL_AGE

PRACTICE_SUMMARY_MAX_LENGTH = 300
