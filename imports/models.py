"""An upload waiting for its run (``ImportJob``) and the practices imports made (``ImportedPractice``)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from practices.models import PracticePage, Region


class ImportJob(models.Model):
    """One uploaded file: its parsed rows, and how far the run has got (runs resume from ``position``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    language = models.CharField(max_length=2)
    file_name = models.CharField(max_length=255)
    rows = models.JSONField(default=list)  # [{"line": 2, "external_id": "...", ...}, ...]
    position = models.PositiveIntegerField(default=0)  # rows handled so far
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    results = models.JSONField(default=list)  # one entry per handled row, for the done page
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("practice import")
        verbose_name_plural = _("practice imports")

    def __str__(self) -> str:
        return self.file_name

    @property
    def total(self) -> int:
        return len(self.rows)


class ImportedPractice(models.Model):
    """Row ``external_id`` of a region's spreadsheet (in one language) is this page: a second run updates it."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    language = models.CharField(max_length=2)
    external_id = models.CharField(max_length=100)
    page = models.ForeignKey(PracticePage, on_delete=models.CASCADE, related_name="+")
    fingerprint = models.CharField(max_length=64)  # of the row's values at the last import: "unchanged"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["region", "language", "external_id"], name="imports_unique_external_id"),
        ]

    def __str__(self) -> str:
        return self.external_id
