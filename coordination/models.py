"""A practice proposed by anyone through the public form, waiting for a coordinator of its region."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

TITLE_MAX_LENGTH = 200
SUMMARY_MAX_LENGTH = 300
TEXT_MAX_LENGTH = 4000
NAME_MAX_LENGTH = 150
ORGANISATION_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 254
PHONE_MAX_LENGTH = 40


class Proposal(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("new")
        CONVERTED = "converted", _("converted to a draft practice")
        REJECTED = "rejected", _("rejected")

    title = models.CharField(_("name of the practice"), max_length=TITLE_MAX_LENGTH)
    summary = models.CharField(_("summary"), max_length=SUMMARY_MAX_LENGTH)
    problem = models.TextField(_("problem or need addressed"), max_length=TEXT_MAX_LENGTH)
    how_it_works = models.TextField(_("how it works"), max_length=TEXT_MAX_LENGTH)
    # The Finnish region page (the national page for national practices): its coordinators receive
    # the proposal, and the draft practice is created under it.
    region_page = models.ForeignKey(
        "practices.RegionPage", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    themes = models.ManyToManyField("practices.Theme", verbose_name=_("themes"), related_name="+")
    target_groups = models.ManyToManyField(
        "practices.TargetGroup", verbose_name=_("target groups"), blank=True, related_name="+"
    )
    organisation_name = models.CharField(_("organisation"), max_length=ORGANISATION_MAX_LENGTH)
    proposer_name = models.CharField(_("proposer's name"), max_length=NAME_MAX_LENGTH)
    email = models.EmailField(_("email"), max_length=EMAIL_MAX_LENGTH)
    phone = models.CharField(_("phone"), max_length=PHONE_MAX_LENGTH, blank=True)
    consent_to_contact = models.BooleanField(_("agreed to be contacted"), default=False)
    language = models.CharField(_("language of the proposal"), max_length=8, choices=settings.LANGUAGES)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    created_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    converted_page = models.ForeignKey(
        "wagtailcore.Page", verbose_name=_("draft practice"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    converted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("converted by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def region(self):
        return self.region_page.region
