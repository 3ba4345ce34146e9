"""Sending the digests: for each confirmed subscription that is due, the practices published (new or
updated) since its watermark that match its search, in one email, only when there is something new.

The watermark moves in the transaction that queues the email (mailqueue/ stores it in the same
transaction): a digest is never lost nor sent twice, and a crash before the commit just leaves the
subscription due. Practices are read from the search index, so a round is postponed while the index
change log still holds changes made before it (a practice published a second ago would otherwise be
behind the watermark before the index knew it).
"""

import dataclasses
import logging
import time
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone

from search.models import IndexChange
from search.query import MAX_PAGE_SIZE, InvalidSearch, parse_request
from search.service import search

from .emails import absolute, digest_message
from .models import UNCONFIRMED_DAYS, Subscription

logger = logging.getLogger(__name__)
MAX_ITEMS = 20  # practices listed in one email; the rest are behind "see all in KB"
WORKER_INTERVAL_SECONDS = 10 * 60  # how often the index worker looks for due digests
POSTPONED_RETRY_SECONDS = 30  # ... and how soon again when the index was behind


@dataclass
class Report:
    sent: int = 0
    nothing_new: int = 0
    pruned: int = 0
    failed: int = 0
    postponed: bool = False


def prune_unconfirmed(now) -> int:
    deleted, _per_model = Subscription.objects.filter(
        confirmed_at__isnull=True, created_at__lt=now - timezone.timedelta(days=UNCONFIRMED_DAYS)).delete()
    return deleted


def index_behind(now) -> bool:
    return IndexChange.objects.filter(Q(db_pending=True) | Q(engine_pending=True), created_at__lte=now).exists()


def due(now, frequency: str | None = None):
    subscriptions = Subscription.objects.filter(confirmed_at__isnull=False)
    if frequency:
        subscriptions = subscriptions.filter(frequency=frequency)
    daily = Q(frequency=Subscription.Frequency.DAILY, watermark__lte=now - timezone.timedelta(days=1))
    weekly = Q(frequency=Subscription.Frequency.WEEKLY, watermark__lte=now - timezone.timedelta(days=7))
    return subscriptions.filter(daily | weekly).order_by("pk")


def send_due(now=None, frequency: str | None = None) -> Report:
    now = now or timezone.now()
    report = Report(pruned=prune_unconfirmed(now))
    if index_behind(now):
        logger.warning("Search alerts postponed: the search index has changes still waiting to be applied")
        report.postponed = True
        return report
    for pk in due(now, frequency).values_list("pk", flat=True):
        try:
            sent = _send_one(pk, now)
        except Exception:  # one broken subscription must not hold up the others; it is tried next round
            logger.exception("Search alert %s: the digest could not be made; it is tried again next round", pk)
            report.failed += 1
            continue
        if sent:
            report.sent += 1
        else:
            report.nothing_new += 1
    return report


def new_matches(subscription, since, upto):
    """(the search request, [hits published after ``since`` up to ``upto``], whether there may be more)."""
    params = QueryDict(subscription.query)
    request = parse_request(params, subscription.language, strict=True, fixed_page_size=MAX_PAGE_SIZE)
    request = dataclasses.replace(request, sort="updated", page=1)
    result = search(request)
    if result.corrections:  # "results for similar words" are not what was asked for
        return request, [], False
    hits = [hit for hit in result.hits if hit.last_published_at and since < hit.last_published_at <= upto]
    # Sorted by update time: if the whole page is new, older pages may hold more new ones.
    more = len(hits) > MAX_ITEMS or (len(hits) == len(result.hits) < result.total)
    return request, hits, more


def _send_one(pk, now) -> bool:
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().filter(pk=pk).first()
        if subscription is None or subscription.watermark is None or subscription.watermark > now - subscription.period:
            return False  # unsubscribed meanwhile, or another process has just sent it
        try:
            request, hits, more = new_matches(subscription, subscription.watermark, now)
        except InvalidSearch as error:  # e.g. a theme that no longer exists: said once per period
            logger.error("Search alert %s: its search is no longer valid (%s: %s); nothing was sent",
                         subscription.pk, error.parameter, error.message)
            request, hits, more = None, [], False
        if hits:
            items = [{"title": hit.title, "summary": " ".join(hit.summary.split()), "url": absolute(hit.url),
                      "language": hit.language, "is_fallback": hit.is_fallback,
                      "is_new": bool(hit.first_published_at and hit.first_published_at > subscription.watermark)}
                     for hit in hits[:MAX_ITEMS]]
            digest_message(subscription, request, items, more).send()
            subscription.last_sent_at = now
        subscription.watermark = now
        subscription.save(update_fields=["watermark", "last_sent_at"])
    return bool(hits)


_last_work = {"at": 0.0}


def work() -> None:
    """Called by the index worker every round: sends due digests at most every WORKER_INTERVAL_SECONDS.
    Logs its own errors and never raises (the worker must go on indexing and sending email)."""
    if time.monotonic() - _last_work["at"] < WORKER_INTERVAL_SECONDS and _last_work["at"]:
        return
    _last_work["at"] = time.monotonic()
    try:
        report = send_due()
    except Exception:
        logger.exception("Search alerts: sending the digests failed; the next round tries again")
        return
    if report.postponed:  # try again soon, not in 10 minutes
        _last_work["at"] -= WORKER_INTERVAL_SECONDS - POSTPONED_RETRY_SECONDS
    if report.sent or report.pruned:
        logger.info("Search alerts: %d digest(s) queued, %d unconfirmed subscription(s) deleted",
                    report.sent, report.pruned)
