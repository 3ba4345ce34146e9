"""A request id for every request, and one access log line per request.

First in MIDDLEWARE, so the id is set before any other middleware can log, and the access line
sees the final status (Django turns a view's exception into a 500 response inside the chain).
"""

import logging
import re
import time
import uuid

from django.core.signals import request_finished

from .logging import request_id

access_logger = logging.getLogger("kb.access")
HEADER = "X-Request-ID"
# An id from a proxy or load balancer is kept only if it is a short plain token: anything else
# (spaces, newlines, markup, very long values) could forge or garble log lines.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Probes call these every few seconds: their successful answers are logged at DEBUG only.
PROBE_PATHS = frozenset({"/healthz", "/readyz"})


def incoming_request_id(value: str | None) -> str:
    """The caller's id if it is safe, else a new one (uuid4 hex)."""
    if value and SAFE_REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


def _forget_request_id(**kwargs):
    request_id.set("")


# Kept until the response is closed, not only while the middleware runs: Django logs a 4xx/5xx
# ("django.request") after the middleware chain has returned, and the search change log is applied
# after the response (search.changelog.drain_from_request); both belong to this request.
request_finished.connect(_forget_request_id, dispatch_uid="operations.middleware.forget_request_id")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        current = incoming_request_id(request.headers.get(HEADER))
        request_id.set(current)  # cleared when the response is closed (below)
        started = time.perf_counter()
        response = self.get_response(request)
        response[HEADER] = current
        self._log(request, response.status_code, started)
        return response

    @staticmethod
    def _log(request, status: int, started: float):
        # The path without its query string: a query can hold what a visitor searched for.
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        level = logging.DEBUG if request.path in PROBE_PATHS and status < 400 else logging.INFO
        access_logger.log(level, "%s %s %s %.1f ms", request.method, request.path, status, duration_ms,
                          extra={"method": request.method, "path": request.path, "status": status,
                                 "duration_ms": duration_ms})
