"""Queueing and delivering emails.

Each delivery attempt claims one due row in a short transaction (``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL; SQLite's immediate transactions serialise the claim): it counts the attempt and moves
``next_attempt_at`` a lease ahead, so no other worker picks the row while this one talks to the mail
server outside any transaction (a slow server never holds a database lock). The outcome is then
recorded: sent, or the error with the next attempt backed off (30 s doubling to 1 h), or failed after
MAILQUEUE_MAX_ATTEMPTS.

Delivery is at least once: a process that dies after the server accepted a message but before
"sent" is stored leaves the row pending, and it is sent again when the lease runs out. The opposite
choice (mark sent before sending) would lose the email in the same crash, and KB's emails must not
be lost; the duplicate carries the same Message-ID, so mail clients can recognise it.
"""

import datetime
import functools
import logging
import time

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Count, Min
from django.utils import timezone

from .messages import message_to_json
from .models import OutgoingEmail

logger = logging.getLogger(__name__)
PENDING, SENT, FAILED = OutgoingEmail.Status.PENDING, OutgoingEmail.Status.SENT, OutgoingEmail.Status.FAILED
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 60 * 60
PRUNE_EVERY_SECONDS = 60 * 60
_last_prune = 0.0  # time.monotonic() of this process's last prune


def enqueue(messages) -> list[OutgoingEmail]:
    """Store ``messages`` in the caller's transaction; deliver them once it commits."""
    now = timezone.now()
    rows = [
        OutgoingEmail(
            message=message_to_json(message),
            subject=str(message.subject),
            recipients=", ".join(message.recipients()),
            next_attempt_at=now,
        )
        for message in messages
        if message.recipients()  # like Django's SMTP backend: a message to nobody is not sent
    ]
    with transaction.atomic():
        for row in rows:  # one by one: bulk_create does not return ids on every database
            row.save()
    if rows:
        transaction.on_commit(functools.partial(deliver_rows, [row.pk for row in rows]), robust=True)
    return rows


def retry_delay(attempts: int) -> datetime.timedelta:
    """The wait after the ``attempts``-th failed attempt: 30 s, 1 min, 2 min, … at most 1 h."""
    return datetime.timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** (attempts - 1), MAX_RETRY_SECONDS))


def lease() -> datetime.timedelta:
    """How long a claimed row is left to its worker: well beyond a whole SMTP conversation."""
    return datetime.timedelta(seconds=max(300, 10 * (settings.EMAIL_TIMEOUT or 30)))


def _claim(candidates) -> OutgoingEmail | None:
    now = timezone.now()
    with transaction.atomic():
        row = (
            candidates.filter(status=PENDING, next_attempt_at__lte=now)
            .select_for_update(skip_locked=True)
            .order_by("next_attempt_at", "pk")
            .first()
        )
        if row is None:
            return None
        row.attempts += 1
        row.next_attempt_at = now + lease()
        row.save(update_fields=["attempts", "next_attempt_at"])
    return row


def _deliver(row: OutgoingEmail) -> bool:
    """Send one claimed row through the transport and record the outcome; True when sent."""
    try:
        with get_connection(settings.MAILQUEUE_TRANSPORT, fail_silently=False) as connection:
            accepted = connection.send_messages([row.build_message()])
        if not accepted:
            raise RuntimeError("the mail transport accepted no message")
    except Exception as error:  # noqa: BLE001 - recorded on the row, logged, and retried
        _record_failure(row, error)
        return False
    now = timezone.now()
    updated = OutgoingEmail.objects.filter(pk=row.pk, status=PENDING).update(status=SENT, sent_at=now, last_error="")
    if not updated:  # an administrator changed the row meanwhile; the email did go out
        logger.warning("Email %s was sent, but its row was no longer pending", row.pk)
    return True


def _record_failure(row: OutgoingEmail, error: Exception) -> None:
    now = timezone.now()
    description = f"{type(error).__name__}: {error}"[:2000]
    if row.attempts >= settings.MAILQUEUE_MAX_ATTEMPTS:
        changes = {"status": FAILED, "last_error": description}
        logger.error("Email %s to %s failed for good after %d attempts: %s",
                     row.pk, row.recipients, row.attempts, description)
    else:
        changes = {"next_attempt_at": now + retry_delay(row.attempts), "last_error": description}
        logger.warning("Email %s to %s: attempt %d failed, retrying at %s: %s",
                       row.pk, row.recipients, row.attempts, changes["next_attempt_at"].isoformat(), description)
    OutgoingEmail.objects.filter(pk=row.pk, status=PENDING, attempts=row.attempts).update(**changes)


def deliver_rows(ids) -> int:
    """Try the rows ``ids`` now (right after the transaction that queued them commits). The first
    failure ends the try: the worker retries the rest, and a visitor's request never waits for more
    than one unreachable mail server."""
    candidates = OutgoingEmail.objects.filter(pk__in=ids)
    sent = 0
    while (row := _claim(candidates)) is not None:
        if not _deliver(row):
            break
        sent += 1
    return sent


def deliver_due(limit: int | None = None) -> tuple[int, int]:
    """Deliver rows that are due, oldest first, up to ``limit``; (sent, failed attempts)."""
    sent = failed = 0
    while limit is None or sent + failed < limit:
        row = _claim(OutgoingEmail.objects.all())
        if row is None:
            break
        if _deliver(row):
            sent += 1
        else:
            failed += 1
    return sent, failed


def prune_sent(now=None) -> int:
    """Delete sent rows older than MAILQUEUE_KEEP_SENT_DAYS, a batch at a time."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.MAILQUEUE_KEEP_SENT_DAYS)
    old = OutgoingEmail.objects.filter(status=SENT, sent_at__lt=cutoff).values_list("pk", flat=True)[:1000]
    deleted, _details = OutgoingEmail.objects.filter(pk__in=list(old)).delete()
    return deleted


def work(limit: int = 50) -> tuple[int, int]:
    """One round for a worker loop: deliver what is due, prune now and then. Never raises: an error
    (e.g. the database is unreachable) is logged and the next round tries again."""
    global _last_prune
    try:
        result = deliver_due(limit)
        if time.monotonic() - _last_prune > PRUNE_EVERY_SECONDS:
            prune_sent()
            _last_prune = time.monotonic()
        return result
    except Exception:
        logger.exception("Email delivery round failed; the queue is retried in the next round")
        return 0, 0


def backlog() -> dict:
    """What health checks and administrators need to know about the queue."""
    counts = dict(
        OutgoingEmail.objects.filter(status__in=[PENDING, FAILED])
        .values_list("status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    oldest = OutgoingEmail.objects.filter(status=PENDING).aggregate(oldest=Min("created_at"))["oldest"]
    return {
        "pending": counts.get(PENDING, 0),
        "failed": counts.get(FAILED, 0),
        "oldest_pending_seconds": max(0.0, (timezone.now() - oldest).total_seconds()) if oldest else 0.0,
    }


def retry_now(row: OutgoingEmail) -> None:
    """An administrator's "retry now": the row is pending again with a fresh set of attempts."""
    OutgoingEmail.objects.filter(pk=row.pk).exclude(status=SENT).update(
        status=PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    transaction.on_commit(functools.partial(deliver_rows, [row.pk]), robust=True)
