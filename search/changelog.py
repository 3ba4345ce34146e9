"""The change log of the search indexes: a transactional outbox, applied to every index.

A content change (publish, unpublish, move, delete, a relabelled or deleted term) writes an
``IndexChange`` per translation group in its own transaction (``record``): a committed change can
never be forgotten, and a rolled-back one never reaches an index. ``drain`` applies the log:

1. The database index, per group, in a transaction that begins with ``index_changed()``: the
   index-state row lock serialises index writers and hands out the next index version. The
   group's documents are recomputed from what is live now (idempotent), and every change of the
   group recorded so far is marked applied under that version.
2. Elasticsearch: the group's documents, or deletes, in one bulk request with
   ``version_type=external_gte`` and the documents' index version, so an older write can never
   replace a newer one, whichever writer finishes first.
3. A change applied everywhere is deleted, except while an Elasticsearch rebuild that started
   before it was applied still needs it for its replay.

A failure leaves the change in the log with its error, its attempts and the time of its next try
(backing off by how long it has waited). ``drain`` runs after every commit that recorded changes
(in that process, so a publish is searchable when the editor's request returns), from requests at most every
``KB_INDEX_DRAIN_INTERVAL`` seconds, and continuously in ``manage.py run_index_worker``.
"""

import logging
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Max, Min, Q
from django.utils import timezone

from . import indexing
from .breaker import elasticsearch_writes_breaker
from .models import IndexChange, IndexRebuild

logger = logging.getLogger(__name__)
REBUILD_SILENCE = timedelta(minutes=15)  # a rebuild without a heartbeat for this long has died
DATABASE_RETRY_CAP = 300  # seconds between tries of a change the database index cannot apply
ENGINE_RETRY_CAP = 2  # Elasticsearch back after an outage: its backlog is applied within seconds


@dataclass
class Drained:
    database: int = 0  # groups applied to the database index
    engine: int = 0  # groups applied to Elasticsearch
    failed: int = 0  # groups left in the log for another try

    @property
    def applied(self) -> int:
        return self.database + self.engine


def record(translation_keys):
    """Inside the writing transaction: log a change per group; apply them once it commits."""
    keys = set(translation_keys)
    if not keys:
        return
    engine = indexing.search_engine_configured()
    IndexChange.objects.bulk_create([IndexChange(translation_key=key, engine_pending=engine) for key in keys])
    transaction.on_commit(lambda: drain_now(keys))


def drain_now(keys=None, limit=100):
    """Apply what is due in this process, right away. Never raises: what fails stays in the log
    (logged, and retried by the worker or the next drain)."""
    try:
        return drain(limit=limit, keys=keys, engine=request_engine())
    except Exception:
        logger.exception("Search index: applying the change log failed; the changes stay queued and are retried")
        return Drained()


def request_engine():
    """Elasticsearch for a drain inside a request: None when not configured or while the breaker
    for writes is open (the worker, or a drain after the cool-down, sends the backlog)."""
    if not indexing.search_engine_configured() or not elasticsearch_writes_breaker.allow():
        return None
    from .backends.elasticsearch import ElasticsearchBackend

    return ElasticsearchBackend.from_settings()


def drain(limit=500, keys=None, engine=None) -> Drained:
    """Apply up to ``limit`` due groups of the log (only ``keys`` when given): the database index,
    then ``engine`` (an ElasticsearchBackend) when given. Returns what was done."""
    report = Drained()
    due = _due()
    if keys is not None:
        due = due.filter(translation_key__in=list(keys))
    for key in _groups(due.filter(db_pending=True), limit):
        _apply_to_database(key, report)
    if engine is not None:
        groups = _groups(due.filter(db_pending=False, engine_pending=True), limit)
        if groups:
            _apply_to_engine(engine, groups, report)
    if report.applied:
        forget_applied()
    return report


def _due():
    """Changes whose next try is now (never failed, or their backoff is over)."""
    return IndexChange.objects.filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now()))


def _groups(changes, limit) -> dict:
    """translation key -> (seqs, highest applied version) of the first ``limit`` groups, oldest first."""
    groups = {}
    rows = changes.order_by("seq").values_list("seq", "translation_key", "version")[:limit * 10]
    for seq, key, version in rows:
        if key not in groups:
            if len(groups) == limit:
                break
            groups[key] = ([], 0)
        seqs, highest = groups[key]
        seqs.append(seq)
        groups[key] = (seqs, max(highest, version or 0))
    return groups


def _apply_to_database(key, report: Drained):
    try:
        with transaction.atomic():
            version = indexing.index_changed()  # locks the index state until commit
            # Every change of the group committed so far: the documents computed below include them.
            pending = IndexChange.objects.filter(translation_key=key, db_pending=True)
            seqs = list(pending.values_list("seq", flat=True))
            if not seqs:  # another process applied them meanwhile: keep the index token as it was
                transaction.set_rollback(True)
                return
            indexing.index_group(key, version)
            IndexChange.objects.filter(seq__in=seqs).update(
                db_pending=False, version=version, attempts=0, next_attempt_at=None, last_error="")
        report.database += 1
    except Exception as error:
        logger.exception("Search index: group %s could not be indexed; it stays in the change log and is retried", key)
        _postpone(IndexChange.objects.filter(translation_key=key, db_pending=True), error, DATABASE_RETRY_CAP)
        report.failed += 1


def _apply_to_engine(engine, groups: dict, report: Drained):
    from .backends.base import BackendUnavailable
    from .backends.elasticsearch import FAILURES

    try:
        errors = engine.apply({key: highest for key, (_seqs, highest) in groups.items()})
    except (*FAILURES, BackendUnavailable) as error:
        elasticsearch_writes_breaker.failure(error)
        logger.warning("Elasticsearch unreachable: %d groups wait in the change log (%s)", len(groups), error)
        _postpone(IndexChange.objects.filter(seq__in=[s for seqs, _v in groups.values() for s in seqs]), error,
                  ENGINE_RETRY_CAP)
        report.failed += len(groups)
        return
    elasticsearch_writes_breaker.success()
    applied = [seq for key, (seqs, _v) in groups.items() if key not in errors for seq in seqs]
    IndexChange.objects.filter(seq__in=applied).update(
        engine_pending=False, attempts=0, next_attempt_at=None, last_error="")
    report.engine += len(groups) - len(errors)
    for key, error in errors.items():
        logger.error("Elasticsearch rejected group %s: %s; it stays in the change log and is retried", key, error)
        _postpone(IndexChange.objects.filter(seq__in=groups[key][0]), error, DATABASE_RETRY_CAP)
        report.failed += 1


def _postpone(changes, error, cap: float):
    """Back off by how long the group has waited, not by how often it was tried: every new edit
    and every process tries it too, so counting tries made a 3 s outage cost 8 s and more. The
    next try comes after a quarter of the wait so far, between 1 s and ``cap``."""
    now = timezone.now()
    oldest = changes.aggregate(oldest=Min("created_at"))["oldest"] or now
    delay = min(cap, max(1.0, (now - oldest).total_seconds() / 4))
    changes.update(attempts=F("attempts") + 1, last_error=str(error)[:2000],
                   next_attempt_at=now + timedelta(seconds=delay))


def forget_applied():
    """Delete what every index has applied; keep what a running rebuild must replay."""
    done = IndexChange.objects.filter(db_pending=False, engine_pending=False)
    position = rebuild_position()
    if position is not None:
        done = done.filter(version__lte=position)
    done.delete()


# --- Elasticsearch rebuilds -----------------------------------------------------------------------
def start_rebuild() -> IndexRebuild:
    """Mark a rebuild as running from the current index version (what it will replay from)."""
    return IndexRebuild.objects.create(position=indexing.index_version(), heartbeat_at=timezone.now())


def rebuild_alive(marker: IndexRebuild):
    IndexRebuild.objects.filter(pk=marker.pk).update(heartbeat_at=timezone.now())


def end_rebuild(marker: IndexRebuild):
    IndexRebuild.objects.filter(pk=marker.pk).delete()
    IndexRebuild.objects.filter(heartbeat_at__lt=timezone.now() - REBUILD_SILENCE).delete()
    forget_applied()  # what the replay needed


def rebuild_position():
    """The earliest position of the rebuilds still running, or None."""
    alive = IndexRebuild.objects.filter(heartbeat_at__gte=timezone.now() - REBUILD_SILENCE)
    return alive.aggregate(position=Min("position"))["position"]


def changed_since(position: int) -> dict:
    """translation key -> highest version of the groups applied to the database index after
    ``position``: their documents (kept) and their changes (kept while the rebuild runs)."""
    from .models import SearchDocument

    changed = {}
    rows = [*SearchDocument.objects.filter(version__gt=position).values_list("translation_key", "version"),
            *IndexChange.objects.filter(version__gt=position).values_list("translation_key", "version")]
    for key, version in rows:
        changed[key] = max(changed.get(key, 0), version)
    return changed


# --- Observing ----------------------------------------------------------------------------------
def backlog() -> dict:
    """What waits in the change log, for diagnostics, check_index and readiness."""
    pending = IndexChange.objects.filter(Q(db_pending=True) | Q(engine_pending=True))
    summary = pending.aggregate(groups=Count("translation_key", distinct=True), oldest=Min("created_at"),
                                attempts=Max("attempts"))
    failing = pending.exclude(last_error="").order_by("-seq").values_list("last_error", flat=True).first()
    oldest = summary["oldest"]
    return {
        "pending_changes": pending.count(),
        "pending_groups": summary["groups"],
        "oldest_seconds": round((timezone.now() - oldest).total_seconds(), 1) if oldest else 0,
        "most_attempts": summary["attempts"] or 0,
        "last_error": failing or "",
    }


# --- Draining from requests ------------------------------------------------------------------------
_request_drain = {"last": 0.0}
_request_drain_lock = threading.Lock()


def drain_from_request(**kwargs):
    """After a response (request_finished): at most every KB_INDEX_DRAIN_INTERVAL seconds per
    process, apply what is due, so a site without a worker process converges by itself."""
    interval = settings.KB_INDEX_DRAIN_INTERVAL
    now = time.monotonic()
    if not interval or now - _request_drain["last"] < interval or not _request_drain_lock.acquire(blocking=False):
        return
    try:
        _request_drain["last"] = now
        if _due().filter(Q(db_pending=True) | Q(engine_pending=True)).exists():
            drain_now()
    except Exception:
        logger.exception("Search index: checking the change log after a request failed; the worker retries")
    finally:
        _request_drain_lock.release()


def rebuild_engine(progress=None):
    """Rebuild the Elasticsearch indexes (see ElasticsearchBackend.rebuild); None without one."""
    if not indexing.search_engine_configured():
        return None
    from .backends.elasticsearch import ElasticsearchBackend

    return ElasticsearchBackend.for_administration().rebuild(progress)
