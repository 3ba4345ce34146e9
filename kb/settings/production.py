"""Production: everything from the environment; refuses to start with a weak secret key."""

from django.core.exceptions import ImproperlyConfigured

from operations.logging import logging_config

from . import env
from .base import *  # noqa: F403

# One JSON object per line on stderr, for the log collector (LOG_FORMAT=text for a person reading).
LOGGING = logging_config(env.LOG_FORMAT or "json", env.LOG_LEVEL)

_PLACEHOLDER_PREFIXES = ("django-insecure", "dev-only", "change-me", "changeme", "secret")

if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.lower().startswith(_PLACEHOLDER_PREFIXES):  # noqa: F405
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters in production "
        "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(64))')."
    )
if not ALLOWED_HOSTS:  # noqa: F405
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the site's host names in production.")
if env.DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production.")

# Served over HTTPS: browsers fetch any http:// address in content over https:// too (kb/csp.py).
for _policy in (CONTENT_SECURITY_POLICY, KB_ADMIN_CONTENT_SECURITY_POLICY):  # noqa: F405
    _policy["DIRECTIVES"]["upgrade-insecure-requests"] = SECURE_SSL_REDIRECT  # noqa: F405
