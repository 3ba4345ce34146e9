"""Circuit breakers for Elasticsearch, per process: one for searches, one for index writes.

Closed: calls go to Elasticsearch. After a failure or a timeout it opens for
``KB_ELASTICSEARCH_COOLDOWN`` seconds: every search answers from the database at once instead of
waiting for a hung cluster (the search breaker); index writes wait in the change log for the
index worker (the writes breaker). When the cool-down is over, one caller probes (the others
keep away for another cool-down); an answer closes the breaker, a failure opens it again.

Two breakers, because a bulk write with a refresh is slower than a search: on a loaded cluster a
write that outlasts the search timeout says nothing about searches, and must not send them to
the database.
"""

import logging
import threading
import time

from django.conf import settings

logger = logging.getLogger(__name__)


class CircuitBreaker:
    def __init__(self, name: str, meanwhile: str):
        self.name = name
        self.meanwhile = meanwhile  # what happens while it is open, for the log
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
            logger.error("%s failed (%s): %s for %s s before trying again",
                         self.name, error, self.meanwhile, settings.KB_ELASTICSEARCH_COOLDOWN)

    @property
    def state(self) -> str:
        with self._lock:
            if not self._open_until:
                return "closed"
            return "open" if time.monotonic() < self._open_until else "half-open"

    def reset(self):
        with self._lock:
            self._open_until, self.last_error = 0.0, ""


elasticsearch_breaker = CircuitBreaker("Elasticsearch", "searching the database")
elasticsearch_writes_breaker = CircuitBreaker(
    "Elasticsearch index writes", "changes wait in the change log (the index worker applies them)")


def reset_breakers():
    for breaker in (elasticsearch_breaker, elasticsearch_writes_breaker):
        breaker.reset()
