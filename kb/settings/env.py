"""Every environment variable KB reads, parsed once, with a typed default.

The README's configuration table lists the same variables; keep them in step.
"""

import ipaddress
import os
import re
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0/true/false/yes/no/on/off, got {raw!r}")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    raw = env_str(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from None


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
DATABASE_URL = env_str("DATABASE_URL")
ELASTICSEARCH_INDEX_PREFIX = env_str("ELASTICSEARCH_INDEX_PREFIX", "kb")


def env_float(name: str, default: float) -> float:
    raw = env_str(name)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None


ELASTICSEARCH_TIMEOUT = env_float("ELASTICSEARCH_TIMEOUT", 2.0)
ELASTICSEARCH_COUNTS_TIMEOUT = env_float("ELASTICSEARCH_COUNTS_TIMEOUT", 1.0)
ELASTICSEARCH_ADMIN_TIMEOUT = env_float("ELASTICSEARCH_ADMIN_TIMEOUT", 60.0)
ELASTICSEARCH_COOLDOWN = env_float("ELASTICSEARCH_COOLDOWN", 30.0)
INDEX_DRAIN_INTERVAL = env_float("INDEX_DRAIN_INTERVAL", 5.0)
BASE_URL = env_str("BASE_URL", "http://127.0.0.1:8000")
EMAIL_URL = env_str("EMAIL_URL")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "KB <no-reply@kb.invalid>")
MEDIA_ROOT = env_str("MEDIA_ROOT")
STATIC_ROOT = env_str("STATIC_ROOT")
OPEN_DATA_ROOT = env_str("OPEN_DATA_ROOT")  # where `manage.py export_open_data` writes (opendata/)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
# Seconds a SQLite connection waits for another writer's lock before "database is locked".
SQLITE_BUSY_TIMEOUT = env_float("SQLITE_BUSY_TIMEOUT", 20.0)
if not 0 <= SQLITE_BUSY_TIMEOUT <= 3600:  # also refuses nan and inf
    raise ImproperlyConfigured(f"SQLITE_BUSY_TIMEOUT must be between 0 and 3600 seconds, got {SQLITE_BUSY_TIMEOUT}")


def parse_cache_url(raw: str) -> dict | None:
    """CACHE_URL → the Redis part of a Django CACHES entry, or None for the local (per-process) cache.

    redis://[:password@]host[:port][/db] or rediss:// (TLS) selects Django's built-in RedisCache; empty
    or "locmem:" keeps the local memory cache of the embedded site.
    """
    if raw in ("", "locmem:", "locmem://"):
        return None
    hint = "use redis://[:password@]host:port/db, rediss://… or locmem:"
    try:
        parts = urlsplit(raw)
        port = parts.port  # raises ValueError when not a number in 0-65535
    except ValueError as error:
        raise ImproperlyConfigured(f"CACHE_URL is not a valid URL ({error}): {hint}") from None
    if parts.scheme not in ("redis", "rediss"):
        raise ImproperlyConfigured(f"CACHE_URL must start with redis://, rediss:// or be locmem:, got {parts.scheme!r}: {hint}")
    if not parts.hostname or port == 0:
        raise ImproperlyConfigured(f"CACHE_URL names no host (or port 0): {hint}")
    if parts.path not in ("", "/") and not parts.path[1:].isdigit():
        raise ImproperlyConfigured(f"CACHE_URL's database must be a number such as /0, got {parts.path!r}: {hint}")
    if parts.query or parts.fragment:
        raise ImproperlyConfigured(f"CACHE_URL takes no ?options or #fragment: {hint}")
    return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": raw}


CACHE = parse_cache_url(env_str("CACHE_URL"))
CACHE_KEY_PREFIX = env_str("CACHE_KEY_PREFIX", "kb")


def parse_networks(name: str, values: list[str]) -> list[str]:
    """IP addresses and CIDR networks ("10.0.0.5", "10.1.0.0/16", "fd00::/8"), normalised."""
    networks = []
    for value in values:
        try:
            networks.append(str(ipaddress.ip_network(value, strict=False)))
        except ValueError:
            raise ImproperlyConfigured(f"{name} must list IP addresses or networks (e.g. 10.0.0.0/8), got {value!r}") from None
    return networks


# Reverse proxies whose X-Forwarded-For is believed (kb/client_ip.py); empty: none, REMOTE_ADDR is the client.
TRUSTED_PROXIES = parse_networks("TRUSTED_PROXIES", env_list("TRUSTED_PROXIES"))


class EmailTransport(NamedTuple):
    """Where queued emails are delivered (mailqueue/): a Django email backend and its SMTP settings."""

    backend: str
    host: str = "localhost"
    port: int = 25
    user: str = ""
    password: str = ""
    use_tls: bool = False  # STARTTLS after connecting (smtp+tls://)
    use_ssl: bool = False  # TLS from the first byte (smtps://)


_SMTP_SCHEMES = {"smtp": (25, False, False), "smtp+tls": (587, True, False), "smtps": (465, False, True)}
_OTHER_SCHEMES = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def parse_email_url(url: str) -> EmailTransport:
    """``smtp://user:password@host:port``, ``smtp+tls://`` (STARTTLS, port 587), ``smtps://`` (implicit
    TLS, port 465), ``console:`` or ``locmem:``; empty means ``smtp://localhost:25``. The user name and
    password are percent-decoded (write ``@`` as ``%40``)."""
    if not url:
        return EmailTransport(SMTP_BACKEND)
    scheme, separator, rest = url.partition(":")
    scheme = scheme.lower()
    if not separator or scheme not in {*_SMTP_SCHEMES, *_OTHER_SCHEMES}:
        raise ImproperlyConfigured(
            "EMAIL_URL must start with smtp://, smtp+tls://, smtps://, console: or locmem:, "
            f"got {_without_password(url)!r}"
        )
    if scheme in _OTHER_SCHEMES:
        if rest.strip("/"):
            raise ImproperlyConfigured(f"EMAIL_URL {scheme}: takes nothing after the colon, got {url!r}")
        return EmailTransport(_OTHER_SCHEMES[scheme])
    parts = urlsplit(url)
    shown = _without_password(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 0 < port < 65536:
        raise ImproperlyConfigured(f"EMAIL_URL has an invalid port (1-65535): {shown!r}")
    if not parts.hostname:
        raise ImproperlyConfigured(f"EMAIL_URL must name the mail server's host, e.g. smtp://mail.example.fi:25, got {shown!r}")
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise ImproperlyConfigured(f"EMAIL_URL takes no path or options (only user:password@host:port), got {shown!r}")
    if (parts.username is None) != (parts.password is None):
        raise ImproperlyConfigured(f"EMAIL_URL must give both a user and a password, or neither, got {shown!r}")
    default_port, use_tls, use_ssl = _SMTP_SCHEMES[scheme]
    return EmailTransport(
        SMTP_BACKEND,
        host=parts.hostname,
        port=port or default_port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=use_tls,
        use_ssl=use_ssl,
    )


def _without_password(url: str) -> str:
    """The URL for an error message, with any password replaced by ***."""
    scheme, separator, rest = url.partition("://")
    credentials, at, location = rest.rpartition("@")
    if not separator or not at or ":" not in credentials:
        return url
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{location}"


EMAIL_TRANSPORT = parse_email_url(EMAIL_URL)
# Seconds each SMTP operation (connect, greeting, each command) may take before the attempt fails
# and is retried later: a stuck mail server never holds a request or the worker for long.
EMAIL_TIMEOUT = env_float("EMAIL_TIMEOUT", 20.0)
if not 0 < EMAIL_TIMEOUT <= 600:  # also refuses nan and inf
    raise ImproperlyConfigured(f"EMAIL_TIMEOUT must be more than 0 and at most 600 seconds, got {EMAIL_TIMEOUT}")


# --- Elasticsearch (search/backends/elasticsearch.py) -----------------------------------------------
def parse_elasticsearch_urls(raw: str) -> list[str]:
    """ELASTICSEARCH_URL: one node's URL, or the nodes of one cluster separated by commas
    (``http://es1:9200,http://es2:9200,http://es3:9200``); empty: search uses the database only."""
    urls = [item.strip() for item in raw.split(",") if item.strip()]
    for url in urls:
        try:
            parts = urlsplit(url)
            # The client needs the port of an http:// URL (https:// defaults to 443).
            valid = (parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
                     and (parts.port is not None or parts.scheme == "https"))
        except ValueError:  # a port that is not a number in 0-65535, a broken [IPv6] address
            valid = False
        if not valid:
            raise ImproperlyConfigured("ELASTICSEARCH_URL must be http(s)://host:port, or several such URLs "
                                       f"separated by commas, got {_without_password(url)!r}")
    return urls


def parse_replicas(raw: str) -> int | str:
    """ELASTICSEARCH_REPLICAS: a whole number of replicas per shard, or a range such as ``0-1`` or
    ``0-all`` that Elasticsearch adjusts to the number of data nodes (``auto_expand_replicas``)."""
    if re.fullmatch(r"\d{1,2}", raw):
        return int(raw)
    low, dash, high = raw.partition("-")
    if dash and low.isdigit() and (high == "all" or high.isdigit() and int(high) >= int(low)):
        return raw
    raise ImproperlyConfigured(f"ELASTICSEARCH_REPLICAS must be a whole number (e.g. 1) or a range such as 0-1, "
                               f"got {raw!r}")


ELASTICSEARCH_URL = parse_elasticsearch_urls(env_str("ELASTICSEARCH_URL"))
# Primary shards of each language's index (fixed when an index is created: `manage.py reindex` applies a new
# value) and copies of each shard on other nodes. One shard holds 100,000 practices with room to spare; "0-1":
# no replica on a single node (green), one as soon as there are two data nodes, so losing a node loses nothing.
ELASTICSEARCH_SHARDS = env_int("ELASTICSEARCH_SHARDS", 1)
if not 1 <= ELASTICSEARCH_SHARDS <= 1024:
    raise ImproperlyConfigured(f"ELASTICSEARCH_SHARDS must be between 1 and 1024, got {ELASTICSEARCH_SHARDS}")
ELASTICSEARCH_REPLICAS = parse_replicas(env_str("ELASTICSEARCH_REPLICAS", "0-1"))


# --- Logs, error reporting and readiness (operations/) ---------------------------------------------
# LOG_FORMAT: json (one object per line; the production default) or text (the development default).
LOG_FORMAT = env_str("LOG_FORMAT").lower()
if LOG_FORMAT not in ("", "json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, got {LOG_FORMAT!r}")
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured(f"LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got {LOG_LEVEL!r}")
SENTRY_DSN = env_str("SENTRY_DSN")  # empty: no error reporting
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", "production")
SENTRY_RELEASE = env_str("SENTRY_RELEASE")  # empty: the git commit of the checkout, if there is one
SENTRY_TRACES_SAMPLE_RATE = env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0)
if not 0 <= SENTRY_TRACES_SAMPLE_RATE <= 1:
    raise ImproperlyConfigured(f"SENTRY_TRACES_SAMPLE_RATE must be between 0 and 1, got {SENTRY_TRACES_SAMPLE_RATE}")
# /readyz: seconds each check may take (database statement, Elasticsearch request), and the age
# (seconds) of the oldest waiting search change or email above which the site reports "degraded".
READYZ_TIMEOUT = env_float("READYZ_TIMEOUT", 2.0)
READYZ_MAX_INDEX_LAG = env_float("READYZ_MAX_INDEX_LAG", 300.0)
READYZ_MAX_EMAIL_AGE = env_float("READYZ_MAX_EMAIL_AGE", 900.0)
for _name, _value in (("READYZ_TIMEOUT", READYZ_TIMEOUT), ("READYZ_MAX_INDEX_LAG", READYZ_MAX_INDEX_LAG),
                      ("READYZ_MAX_EMAIL_AGE", READYZ_MAX_EMAIL_AGE)):
    if not 0 < _value <= 86400:  # also refuses nan and inf
        raise ImproperlyConfigured(f"{_name} must be more than 0 and at most 86400 seconds, got {_value}")


# --- Content-Security-Policy (kb/csp.py) -------------------------------------------------------------
def parse_report_uri(name: str, raw: str) -> str:
    """Where browsers report CSP violations: an https:// or http:// URL, or a path on this site."""
    on_this_site = raw.startswith("/") and not raw.startswith("//")
    absolute = urlsplit(raw).scheme in ("https", "http") and bool(urlsplit(raw).netloc)
    if raw and not (on_this_site or absolute):
        raise ImproperlyConfigured(f"{name} must be an http(s):// URL or a path starting with /, got {raw!r}")
    if any(character.isspace() or character in ";," for character in raw):
        raise ImproperlyConfigured(f"{name} must be one URL without spaces, commas or semicolons, got {raw!r}")
    return raw


# Empty: no reports (violations are still blocked).
CSP_REPORT_URI = parse_report_uri("CSP_REPORT_URI", env_str("CSP_REPORT_URI"))
