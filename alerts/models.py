"""A saved search that sends its new and updated matches by email: the address, the search and the
frequency, nothing else about the person (no name, no IP address)."""

import datetime
import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from search.query import ascii_int

UNCONFIRMED_DAYS = 7  # an unconfirmed subscription is deleted after this many days
TOKEN_SALT = "kb.alerts.subscription"


class Subscription(models.Model):
    class Frequency(models.TextChoices):
        WEEKLY = "weekly", _("Weekly")
        DAILY = "daily", _("Daily")

    email = models.EmailField(max_length=254)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    # The search as its canonical query string (SearchRequest.params(), urlencoded), validated when stored.
    query = models.CharField(max_length=2000, blank=True)
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.WEEKLY)
    # Links carry the id and an HMAC (SECRET_KEY) of the id and this random nonce: the database holds no
    # token nor a hash of one, so a copy of it alone cannot unsubscribe or confirm anybody.
    nonce = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # Practices published (new or updated) after this moment have not been reported yet.
    watermark = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("saved-search alert")
        verbose_name_plural = _("saved-search alerts")
        constraints = [
            models.UniqueConstraint(Lower("email"), "query", name="alerts_one_subscription_per_address_and_search"),
        ]
        indexes = [models.Index(fields=["frequency", "watermark"])]

    def __str__(self):
        return f"Subscription {self.pk}"

    def save(self, *args, **kwargs):
        if not self.nonce:
            self.nonce = secrets.token_hex(16)
        super().save(*args, **kwargs)

    @property
    def period(self) -> datetime.timedelta:
        return datetime.timedelta(days=1 if self.frequency == self.Frequency.DAILY else 7)

    @property
    def token(self) -> str:
        return f"{self.pk}-{self._signature()}"

    def _signature(self) -> str:
        return salted_hmac(TOKEN_SALT, f"{self.pk}:{self.nonce}", algorithm="sha256").hexdigest()[:40]

    @classmethod
    def from_token(cls, token: str):
        """The subscription a link names, or None (malformed, forged, unsubscribed or expired)."""
        pk, _sep, signature = (token or "").partition("-")
        pk = ascii_int(pk)
        if pk is None:
            return None
        subscription = cls.objects.filter(pk=pk).first()
        if subscription is None or not constant_time_compare(subscription._signature(), signature):
            return None
        return subscription
