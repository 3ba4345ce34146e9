"""Every environment variable KB reads, parsed once, with a typed default.

The README's configuration table lists the same variables; keep them in step.
"""

import os

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
ELASTICSEARCH_URL = env_str("ELASTICSEARCH_URL")
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
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
# Seconds a SQLite connection waits for another writer's lock before "database is locked".
SQLITE_BUSY_TIMEOUT = env_float("SQLITE_BUSY_TIMEOUT", 20.0)
if not 0 <= SQLITE_BUSY_TIMEOUT <= 3600:  # also refuses nan and inf
    raise ImproperlyConfigured(f"SQLITE_BUSY_TIMEOUT must be between 0 and 3600 seconds, got {SQLITE_BUSY_TIMEOUT}")
