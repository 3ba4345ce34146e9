"""A circuit breaker for Elasticsearch, per process.

Closed: searches go to Elasticsearch. After a failure or a timeout it opens for
``KB_ELASTICSEARCH_COOLDOWN`` seconds: every search answers from the database at once instead of
waiting for a hung cluster. When the cool-down is over, one caller probes (the others keep using
the database for another cool-down); an answer closes the breaker, a failure opens it again.
"""

import logging
import threading
import time

from django.conf import settings

logger = logging.getLogger(__name__)


class CircuitBreaker:
    def __init__(self, name: str):
        self.name = name
        self._lock = threading.Lock()
        self._open_until = 0.0  # 0: closed
        self.last_error = ""

    def allow(self) -> bool:
        """May this call go to the service? Once the cool-down is over, the first caller is let
        through as the probe and the cool-down restarts for everyone else."""
        with self._lock:
            if not self._open_until:
                return True
            now = time.monotonic()
            if now < self._open_until:
                return False
            self._open_until = now + settings.KB_ELASTICSEARCH_COOLDOWN
            return True

    def success(self):
        with self._lock:
            was_open, self._open_until = bool(self._open_until), 0.0
        if was_open:
            logger.warning("%s answers again: circuit closed", self.name)

    def failure(self, error):
        with self._lock:
            first = not self._open_until
            self._open_until = time.monotonic() + settings.KB_ELASTICSEARCH_COOLDOWN
            self.last_error = str(error)[:500]
        if first:  # loud once per outage, not once per request
            logger.error("%s failed (%s): searching the database for %s s before trying again",
                         self.name, error, settings.KB_ELASTICSEARCH_COOLDOWN)

    @property
    def state(self) -> str:
        with self._lock:
            if not self._open_until:
                return "closed"
            return "open" if time.monotonic() < self._open_until else "half-open"

    def reset(self):
        with self._lock:
            self._open_until, self.last_error = 0.0, ""


elasticsearch_breaker = CircuitBreaker("Elasticsearch")
