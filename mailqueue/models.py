from django.db import models
from django.utils.translation import gettext_lazy as _

from .messages import message_from_json


class OutgoingEmail(models.Model):
    """One email as it was handed to Django's mail API, until the mail server has accepted it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    message = models.JSONField(help_text="The message as messages.message_to_json() stores it.")
    subject = models.TextField(_("subject"))
    recipients = models.TextField(_("recipients"), help_text="Envelope recipients (To, Cc and Bcc), comma-separated.")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Pending: when the next attempt is due (set ahead while an attempt is under way). Otherwise unused.
    next_attempt_at = models.DateTimeField(_("next attempt"))
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="mailqueue_due"),
            models.Index(fields=["status", "sent_at"], name="mailqueue_sent"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.subject}"

    def build_message(self):
        return message_from_json(self.message)
