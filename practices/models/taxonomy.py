"""Language-neutral taxonomies: one record per concept, a stable code, a label per language.

They are deliberately *not* wagtail-localize translatable snippets: a translated practice
page copies its many-to-many values as-is, so one record per concept keeps facet values
identical across fi/sv/en (see docs/architecture.md).
"""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel

from practices.collation import sort_key


def _language() -> str:
    return (get_language() or "fi").split("-")[0]


class TermQuerySet(models.QuerySet):
    def in_label_order(self):
        """Order by the label in the active language (Python collation keeps å/ä/ö right)."""
        return sorted(self, key=lambda term: sort_key(term.label))


class Term(models.Model):
    """Abstract taxonomy term: code + fi/sv/en labels."""

    code = models.SlugField(
        _("code"),
        max_length=40,
        unique=True,
        help_text=_("Stable identifier used in URLs and the API. Do not change once published."),
    )
    name_fi = models.CharField(_("name in Finnish"), max_length=120)
    name_sv = models.CharField(_("name in Swedish"), max_length=120)
    name_en = models.CharField(_("name in English"), max_length=120)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    objects = TermQuerySet.as_manager()

    panels = [
        FieldPanel("code"),
        MultiFieldPanel([FieldPanel("name_fi"), FieldPanel("name_sv"), FieldPanel("name_en")], heading=_("Names")),
        FieldPanel("sort_order"),
    ]

    class Meta:
        abstract = True
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name in the active language (Finnish if the language is unknown)."""
        return getattr(self, f"name_{_language()}", None) or self.name_fi

    def labels(self) -> dict[str, str]:
        return {"fi": self.name_fi, "sv": self.name_sv, "en": self.name_en}


class Region(Term):
    """A region (maakunta) with its Statistics Finland code, e.g. 01 Uusimaa."""

    code = models.CharField(_("Statistics Finland code"), max_length=2, unique=True)

    class Meta(Term.Meta):
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]


class Theme(Term):
    class Meta(Term.Meta):
        verbose_name = _("theme")
        verbose_name_plural = _("themes")


class TargetGroup(Term):
    class Meta(Term.Meta):
        verbose_name = _("target group")
        verbose_name_plural = _("target groups")


class OrganisationType(Term):
    class Meta(Term.Meta):
        verbose_name = _("organisation type")
        verbose_name_plural = _("organisation types")


class Language(Term):
    """A language an activity is offered in, coded by ISO 639-1."""

    code = models.CharField(_("ISO 639-1 code"), max_length=2, unique=True)

    class Meta(Term.Meta):
        verbose_name = _("language")
        verbose_name_plural = _("languages")


class FundingSource(Term):
    class Meta(Term.Meta):
        verbose_name = _("funding source")
        verbose_name_plural = _("funding sources")


class ActivityForm(Term):
    class Meta(Term.Meta):
        verbose_name = _("activity form")
        verbose_name_plural = _("activity forms")


class Organisation(models.Model):
    """An organisation that runs or partners in practices. Names are proper nouns: not translated."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    type = models.ForeignKey(
        OrganisationType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="organisations"
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
        help_text=_("Leave empty for national organisations."),
    )
    website = models.URLField(_("website"), blank=True)

    panels = [FieldPanel("name"), FieldPanel("type"), FieldPanel("region"), FieldPanel("website")]

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
