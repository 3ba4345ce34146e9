"""The shared cache's "default" alias: Django's built-in RedisCache that treats an unreachable Redis as a miss.

Django's RedisCache raises redis.ConnectionError/TimeoutError when Redis is down or frozen. Wagtail reads
the default cache while rendering pages (site root paths, renditions) and sessions read it on every
request, so a Redis outage would turn every page into a 500. Here a read answers "not cached" and a
write is dropped; the error is logged (at most once per LOG_INTERVAL_S per process, with how many were
left out), so the operator sees the outage and visitors see a slower site instead of an error page.

Counters must not quietly read 0 during an outage: kb/ratelimit.py uses the "strict" alias (the plain
RedisCache on the same server) and decides per limit whether an outage lets requests through or not.

Known limit: a delete lost during a network partition (a logout, an invalidated Wagtail entry) is not
replayed when Redis comes back with its old data: flush the cache (`redis-cli -n DB FLUSHDB`) after a
partition. A restarted Redis without persistence starts empty and needs nothing.
"""

import functools
import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
LOG_INTERVAL_S = 10.0
_log_state = {"last": -LOG_INTERVAL_S, "left_out": 0}


def _log_outage(operation: str, error: Exception) -> None:
    now = time.monotonic()
    if now - _log_state["last"] < LOG_INTERVAL_S:
        _log_state["left_out"] += 1
        return
    left_out = _log_state["left_out"]
    logger.error("Cache unavailable: %s failed (%s: %s); serving without the shared cache%s", operation,
                 type(error).__name__, error, f" ({left_out} more such errors since the last message)" if left_out else "")
    _log_state.update(last=now, left_out=0)


def _tolerant(fallback):
    """The wrapped cache method answers fallback(*args) instead of raising when Redis is unreachable."""
    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except RedisError as error:
                _log_outage(method.__name__, error)
                return fallback(*args, **kwargs)
        return wrapper
    return decorate


def _default(key, default=None, version=None):
    return default


def _nothing(*args, **kwargs):
    return None


class TolerantRedisCache(RedisCache):
    # Reads: not cached.
    get = _tolerant(_default)(RedisCache.get)
    get_many = _tolerant(lambda *args, **kwargs: {})(RedisCache.get_many)
    has_key = _tolerant(lambda *args, **kwargs: False)(RedisCache.has_key)
    # Writes: dropped (add reports "not added", so get_or_set computes the value and returns it).
    set = _tolerant(_nothing)(RedisCache.set)
    add = _tolerant(lambda *args, **kwargs: False)(RedisCache.add)
    set_many = _tolerant(lambda data, *args, **kwargs: list(data))(RedisCache.set_many)
    touch = _tolerant(lambda *args, **kwargs: False)(RedisCache.touch)
    delete = _tolerant(lambda *args, **kwargs: False)(RedisCache.delete)
    delete_many = _tolerant(_nothing)(RedisCache.delete_many)
    clear = _tolerant(lambda *args, **kwargs: False)(RedisCache.clear)
