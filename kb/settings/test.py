"""Fast, isolated settings for the test suite (SQLite unless DATABASE_URL is set)."""

from .dev import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = LOCAL_CACHES  # noqa: F405  (tests that need Redis start their own: tests/redis_server.py)
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Emails go through the queue (tests/conftest.py keeps EMAIL_BACKEND on it, which Django's test set-up
# would replace) and are delivered to Django's mail.outbox.
MAILQUEUE_TRANSPORT = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WAGTAILADMIN_BASE_URL = "http://testserver"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
# Tests use Elasticsearch only where they ask for it (tests/test_search_elasticsearch.py reads
# ELASTICSEARCH_URL itself, with its own index prefix); everything else is rolled back with the
# database and must not leave documents in a shared cluster.
KB_ELASTICSEARCH_URL = ""
# Requests do not apply the change log in tests: each test applies it where it means to.
KB_INDEX_DRAIN_INTERVAL = 0
