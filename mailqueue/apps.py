from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailqueueConfig(AppConfig):
    """Outgoing email, stored in the sender's transaction and delivered with retries (docs/email.md)."""

    name = "mailqueue"
    verbose_name = _("Outgoing email")
    default_auto_field = "django.db.models.BigAutoField"
