from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdoptionsConfig(AppConfig):
    name = "adoptions"
    verbose_name = _("Adoptions")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import signals  # noqa: F401
