from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpendataConfig(AppConfig):
    name = "opendata"
    verbose_name = _("Exports and open data")
    default_auto_field = "django.db.models.BigAutoField"
