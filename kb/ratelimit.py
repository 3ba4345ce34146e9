"""Counting attempts per subject (an address, an account) in a fixed window, shared by every process.

A window starts with the first counted attempt and lasts `window` seconds. Counting is atomic on the
cache: `add` creates the counter with its expiry, `incr` increments it (Redis INCR; LocMem under its
lock), so several gunicorn workers never lose an increment. With CACHE_URL=redis://… the counters live
in Redis and survive restarts of the web processes; without it they are per process (the embedded
site, one process). Subjects are hashed with the SECRET_KEY: no addresses or user names in cache keys.

The counters use the "strict" cache alias, which raises when Redis is unreachable. What an outage
means is the caller's choice, per limit (`fail_open`):
- fail_open=True (the public proposal form): the attempt is allowed and an ERROR is logged for every
  one, because a visitor's proposal is worth more than spam resistance for the length of an outage
  (proposals are never published without review; the honeypot and size limits still apply);
- fail_open=False (admin login): RateLimitUnavailable is raised and the caller refuses the attempt
  (HTTP 503), because unthrottled password guessing against editors' accounts is the greater harm.
"""

import logging
import math
import time
from dataclasses import dataclass

from django.core.cache import caches
from django.utils.crypto import salted_hmac
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
CACHE_ALIAS = "strict"


class RateLimitUnavailable(Exception):
    """The shared cache cannot be reached, and this limit refuses attempts it cannot count."""


@dataclass(frozen=True)
class RateLimit:
    name: str
    limit: int  # attempts allowed per window
    window: int  # seconds
    fail_open: bool

    def _keys(self, subject: str) -> tuple[str, str]:
        # Keyed with SECRET_KEY: a plain hash of an IPv4 address is reversed by trying all 2³² of them.
        key = f"ratelimit:{self.name}:{salted_hmac('kb.ratelimit', subject, algorithm='sha256').hexdigest()}"
        return key, key + ":until"

    def _outage(self, error: Exception, answer):
        if not self.fail_open:
            logger.error("Rate limit %r unavailable (%s: %s): the attempt is refused", self.name,
                         type(error).__name__, error)
            raise RateLimitUnavailable(self.name) from error
        logger.error("Rate limit %r NOT ENFORCED: the cache is unavailable (%s: %s); the attempt is allowed",
                     self.name, type(error).__name__, error)
        return answer

    def retry_after(self, subject: str) -> int:
        """Seconds until the subject may try again; 0 while under the limit."""
        key, until_key = self._keys(subject)
        try:
            values = caches[CACHE_ALIAS].get_many([key, until_key])
        except RedisError as error:
            return self._outage(error, 0)
        if values.get(key, 0) < self.limit:
            return 0
        until = values.get(until_key)
        return max(1, math.ceil(until - time.time())) if until else self.window

    def hit(self, subject: str) -> int:
        """Count one attempt; returns the count in the current window (1 for the first)."""
        cache = caches[CACHE_ALIAS]
        key, until_key = self._keys(subject)
        try:
            if cache.add(key, 1, self.window):
                cache.set(until_key, time.time() + self.window, self.window)
                return 1
            try:
                count = cache.incr(key)
            except ValueError:  # expired between add and incr: this attempt starts a new window
                return self.hit(subject)
            if count == 1:
                # Redis: the key expired between Django's EXISTS and INCR, and INCR created it without an
                # expiry. Give it one, or the subject would stay counted for ever.
                cache.touch(key, self.window)
            return count
        except RedisError as error:
            return self._outage(error, 0)

    def acquire(self, subject: str) -> bool:
        """Count one attempt and say whether it is within the limit (atomic across processes)."""
        return self.hit(subject) <= self.limit

    def release(self, subject: str) -> None:
        """Take back an attempt that did not happen after all (e.g. nothing could be stored)."""
        cache = caches[CACHE_ALIAS]
        key, _until = self._keys(subject)
        try:
            if cache.decr(key) < 0:  # Redis: expired between EXISTS and DECR, recreated without expiry
                cache.delete(key)
        except ValueError:  # the window has ended meanwhile
            pass
        except RedisError as error:
            self._log_lost("release", error)

    def reset(self, subject: str) -> None:
        try:
            caches[CACHE_ALIAS].delete_many(list(self._keys(subject)))
        except RedisError as error:
            self._log_lost("reset", error)

    def _log_lost(self, action: str, error: Exception) -> None:
        # Nothing to refuse here: the counter just stays as it was until its window ends.
        logger.error("Rate limit %r: could not %s a counter (%s: %s); it expires with its window", self.name,
                     action, type(error).__name__, error)
