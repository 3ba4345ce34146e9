"""A report that an organisation has taken a practice up ("we use this too").

Anyone reports an adoption through the public form; the coordinators of the region of the adopting
municipality review it, and only an approved adoption is shown (practice page, region page, search,
API, insights, open data). The adoption belongs to the practice in every language: it is linked to the
page it was reported on and found through that page's ``translation_key``. The one piece of text,
what the adopter changed, is kept per language like the highlights' rationale: the report's own
language plus translations a coordinator adds.
"""

from django.conf import settings
from django.db import models
from django.db.models import Count
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from practices.models import PracticePage, Region

ORGANISATION_MAX_LENGTH = 200
CHANGES_MAX_LENGTH = 2000
NAME_MAX_LENGTH = 150
EMAIL_MAX_LENGTH = 254
PHONE_MAX_LENGTH = 40
LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)


class AdoptionQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(status=Adoption.Status.APPROVED)

    def of_practice(self, page):
        """The adoptions of ``page`` reported in any of its languages."""
        return self.filter(practice__translation_key=page.translation_key)

    def counts(self, translation_keys=None) -> dict:
        """Practice translation_key -> number of approved adoptions (one grouped query)."""
        approved = self.approved()
        if translation_keys is not None:
            approved = approved.filter(practice__translation_key__in=list(translation_keys))
        rows = approved.values_list("practice__translation_key").annotate(n=Count("pk")).order_by()
        return dict(rows)


class Adoption(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("waiting for review")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    practice = models.ForeignKey(
        PracticePage, verbose_name=_("practice"), on_delete=models.CASCADE, related_name="adoptions",
        help_text=_("The adoption applies to the practice in every language."),
    )
    organisation_name = models.CharField(_("adopting organisation"), max_length=ORGANISATION_MAX_LENGTH)
    # Statistics Finland municipality code (search/data/municipalities.json); the region follows from it.
    municipality = models.CharField(_("municipality"), max_length=3)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="adoptions",
        help_text=_("The region of the municipality: its coordinators review the report."),
    )
    since_year = models.PositiveSmallIntegerField(_("in use since (year)"))
    since_month = models.PositiveSmallIntegerField(_("in use since (month)"), null=True, blank=True)
    changes_fi = models.TextField(_("what they changed, in Finnish"), max_length=CHANGES_MAX_LENGTH, blank=True)
    changes_sv = models.TextField(_("what they changed, in Swedish"), max_length=CHANGES_MAX_LENGTH, blank=True)
    changes_en = models.TextField(_("what they changed, in English"), max_length=CHANGES_MAX_LENGTH, blank=True)
    language = models.CharField(_("language of the report"), max_length=8, choices=settings.LANGUAGES)
    # Optional. Shown on the practice page only with publish_contact; otherwise for the coordinators.
    contact_name = models.CharField(_("contact name"), max_length=NAME_MAX_LENGTH, blank=True)
    contact_email = models.EmailField(_("contact email"), max_length=EMAIL_MAX_LENGTH, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=PHONE_MAX_LENGTH, blank=True)
    publish_contact = models.BooleanField(
        _("contact agreed to publication"), default=False,
        help_text=_("Only a contact who agreed to publication is shown on the practice page."),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    created_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    objects = AdoptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("adoption")
        verbose_name_plural = _("adoptions")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "region"], name="adoption_status_region")]

    def __str__(self) -> str:
        return f"{self.organisation_name} ({self.municipality_name})"

    @property
    def municipality_name(self) -> str:
        from search.places import municipalities  # search imports the practice models

        municipality = municipalities().get(self.municipality)
        return municipality.name(_language()) if municipality else self.municipality

    @property
    def changes_language(self) -> str:
        """The language of the text ``changes`` shows: the active one if translated, else the report's."""
        language = _language()
        return language if getattr(self, f"changes_{language}", "") else self.language

    @property
    def changes(self) -> str:
        return getattr(self, f"changes_{self.changes_language}", "")

    def public_contact(self) -> dict | None:
        """The contact to show, only with consent to publication."""
        if not self.publish_contact or not (self.contact_name or self.contact_email or self.contact_phone):
            return None
        return {"name": self.contact_name, "email": self.contact_email, "phone": self.contact_phone}


# The label of the computed column in the admin's listing and inspect view.
Adoption.municipality_name.fget.short_description = _("municipality")


def _language() -> str:
    code = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return code if code in LANGUAGE_CODES else settings.LANGUAGE_CODE
