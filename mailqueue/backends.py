"""settings.EMAIL_BACKEND: store every message in the queue; deliver once the sender's transaction commits."""

import logging

from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger(__name__)


class QueuedEmailBackend(BaseEmailBackend):
    """Stores each message as an ``OutgoingEmail`` row inside the caller's transaction (a rolled-back
    proposal sends nothing) and tries to deliver it as soon as that transaction commits; the index
    worker or ``send_queued_email`` retries what could not be sent. Connection arguments such as
    ``username`` are ignored: the transport is configured by EMAIL_URL alone."""

    def send_messages(self, email_messages):
        from .delivery import enqueue

        if not email_messages:
            return 0
        try:
            return len(enqueue(email_messages))
        except Exception:
            if not self.fail_silently:
                raise
            logger.exception("Could not queue %d email(s); they will not be sent", len(email_messages))
            return 0
