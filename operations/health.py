"""Liveness (/healthz) and readiness (/readyz) for load balancers, orchestrators and operators.

/healthz answers as long as the process can run a view: no database, no cache, nothing else.

/readyz checks what serving needs and reports each check as
``{"ok", "required", "latency_ms", "detail"}``:

- required (a failure answers 503 "unavailable": take this instance out of the pool):
  the database (a trivial query), its migrations (all applied; remembered per process once they
  are), and the cache (a set and a get through Django's default cache: locmem or Redis);
- optional (a failure answers 200 "degraded": the site still serves, an operator must look):
  Elasticsearch when configured (public search falls back to the database; the circuit breaker's
  state is shown), the search change log's lag (a stopped index worker makes search results
  stale, not wrong), the email queue when the mailqueue app is installed (failed or stuck emails),
  and Voikko (without it Finnish search loses base forms and compound parts).

Every check's exception is caught, logged (with a traceback on the first failure of a streak) and
reported by its class name only: the response never holds an address, a password or a message
that might quote data.
"""

import logging
import time
import uuid

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


class NotReady(Exception):
    """A check that ran but found its component not ready; ``detail`` says why."""

    def __init__(self, detail: dict):
        super().__init__(detail)
        self.detail = detail


# --- Checks: each returns its detail, or raises NotReady (or anything else) ----------------------
def check_database() -> dict:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A short statement timeout for this query only (the transaction ends right after).
            with transaction.atomic():
                cursor.execute("SELECT set_config('statement_timeout', %s, true)",
                               [str(int(settings.READYZ_TIMEOUT * 1000))])
                cursor.execute("SELECT 1")
                cursor.fetchone()
        else:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    return {"vendor": connection.vendor}


_migrations_applied = False  # once true, stays true for the life of the process


def check_migrations() -> dict:
    global _migrations_applied
    if _migrations_applied:
        return {"unapplied": 0}
    executor = MigrationExecutor(connection)
    unapplied = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    if unapplied:
        raise NotReady({"unapplied": unapplied})
    _migrations_applied = True
    return {"unapplied": 0}


def check_cache() -> dict:
    # The strict alias raises on a Redis failure (the default one only logs it), so the probe reports
    # the real error; it is the cache the rate limits and the sign-in throttle count in.
    cache = caches["strict"]
    detail = {"backend": type(cache).__name__}
    key, token = f"readyz:{uuid.uuid4().hex}", uuid.uuid4().hex
    try:
        cache.set(key, token, timeout=30)
        answered = cache.get(key)
        cache.delete(key)
    except Exception as error:
        raise NotReady({**detail, "error": type(error).__name__}) from error
    if answered != token:
        raise NotReady({**detail, "error": "a value just stored could not be read back"})
    return detail


def check_elasticsearch() -> dict:
    from search.backends.elasticsearch import ElasticsearchBackend
    from search.breaker import elasticsearch_breaker, elasticsearch_writes_breaker

    if not settings.KB_ELASTICSEARCH_URL:
        return {"configured": False}
    detail = {"configured": True, "breaker": elasticsearch_breaker.state,
              "writes_breaker": elasticsearch_writes_breaker.state}
    try:
        backend = ElasticsearchBackend(settings.KB_ELASTICSEARCH_URL, settings.READYZ_TIMEOUT,
                                       settings.KB_ELASTICSEARCH_INDEX_PREFIX)
        detail["cluster_status"] = backend.client.cluster.health()["status"]
        expected = {backend.alias(code) for code, _name in settings.LANGUAGES}
        found = {row["alias"] for row in backend.client.cat.aliases(name=backend.alias("*"), format="json")}
    except Exception as error:
        raise NotReady({**detail, "error": type(error).__name__}) from error
    detail["missing_aliases"] = sorted(expected - found)
    if detail["cluster_status"] == "red" or detail["missing_aliases"]:
        raise NotReady(detail)
    return detail


def check_index_lag() -> dict:
    from search.changelog import backlog

    waiting = backlog()
    detail = {
        "pending_changes": waiting["pending_changes"],
        "pending_groups": waiting["pending_groups"],
        "oldest_seconds": waiting["oldest_seconds"],
        "most_attempts": waiting["most_attempts"],
        "failing": bool(waiting["last_error"]),  # the error itself is in the worker's log
        "max_lag_seconds": settings.READYZ_MAX_INDEX_LAG,
    }
    if waiting["oldest_seconds"] > settings.READYZ_MAX_INDEX_LAG:
        raise NotReady(detail)
    return detail


def check_email_queue() -> dict:
    from mailqueue import backlog

    waiting = backlog()
    detail = {
        "pending": waiting["pending"],
        "failed": waiting["failed"],
        "oldest_pending_seconds": waiting["oldest_pending_seconds"],
        "max_age_seconds": settings.READYZ_MAX_EMAIL_AGE,
    }
    if waiting["failed"] or waiting["oldest_pending_seconds"] > settings.READYZ_MAX_EMAIL_AGE:
        raise NotReady(detail)
    return detail


def check_voikko() -> dict:
    from search.analysis import analyzer_name

    detail = {"finnish_analyzer": analyzer_name("fi")}
    if detail["finnish_analyzer"] != "voikko":
        raise NotReady(detail)
    return detail


def check_lexicon() -> dict:
    """The Swedish and English word-form lists (search/lexicon.py): without them, inflected loanwords and
    closed compounds are searched by Snowball stems only."""
    from search.lexicon import LANGUAGES, word_forms

    detail = {f"{language}_word_forms": word_forms(language) for language in LANGUAGES}
    if not all(detail.values()):
        raise NotReady(detail)
    return detail


def checks() -> list[tuple[str, bool, object]]:
    """(name, required, check) in the order they run."""
    found = [
        ("database", True, check_database),
        ("migrations", True, check_migrations),
        # Not required: pages render without the cache (kb/cache.py) and proposals are accepted, only
        # sign-in waits for it; a shared Redis down must not take every instance out of the balancer.
        ("cache", False, check_cache),
        ("elasticsearch", False, check_elasticsearch),
        ("index_lag", False, check_index_lag),
        ("voikko", False, check_voikko),
        ("lexicon", False, check_lexicon),
    ]
    if apps.is_installed("mailqueue"):
        found.append(("email_queue", False, check_email_queue))
    return found


# --- Running them -----------------------------------------------------------------------------------
_failing: set[str] = set()  # checks failing in this process: the traceback is logged once per streak


def run_check(name: str, required: bool, check) -> dict:
    started = time.perf_counter()
    try:
        detail, ok = check(), True
    except NotReady as not_ready:
        detail, ok = not_ready.detail, False
        _log_failure(name, required, not_ready.__cause__, detail)
    except Exception as error:
        detail, ok = {"error": type(error).__name__}, False
        _log_failure(name, required, error, detail)
    else:
        if name in _failing:
            _failing.discard(name)
            logger.warning("Readiness: %s is ready again", name)
    return {"ok": ok, "required": required, "latency_ms": round((time.perf_counter() - started) * 1000, 1),
            "detail": detail}


def _log_failure(name: str, required: bool, error: Exception | None, detail: dict):
    first = name not in _failing
    _failing.add(name)
    consequence = "503, not ready" if required else "200, degraded"
    logger.log(logging.ERROR if first else logging.WARNING, "Readiness: %s check failed (%s): %s",
               name, consequence, detail, exc_info=error if first and error is not None else None)


NEEDS_DATABASE = {"migrations", "index_lag", "email_queue"}


def readiness() -> tuple[int, dict]:
    results = {}
    for name, required, check in checks():
        if name in NEEDS_DATABASE and not results["database"]["ok"]:
            # Not tried: each would wait for the same dead database again (its connect timeout).
            results[name] = {"ok": False, "required": required, "latency_ms": 0.0,
                             "detail": {"error": "skipped: the database is unavailable"}}
        else:
            results[name] = run_check(name, required, check)
    if any(result["required"] and not result["ok"] for result in results.values()):
        return 503, {"status": "unavailable", "checks": results}
    if any(not result["ok"] for result in results.values()):
        return 200, {"status": "degraded", "checks": results}
    return 200, {"status": "ok", "checks": results}


# --- Views: outside the language prefixes, exempt from the HTTPS redirect (kb/settings/base.py) ------
@csrf_exempt
@require_safe
@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


@csrf_exempt
@require_safe
@never_cache
def readyz(request):
    try:
        status, body = readiness()
    except Exception:  # a bug in the checks themselves: still an answer a probe can read
        logger.exception("Readiness: the checks could not run")
        status, body = 503, {"status": "unavailable", "checks": {}}
    return JsonResponse(body, status=status)
