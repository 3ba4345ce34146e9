"""National highlights: practices the ministry picks, with a public rationale, an order and an
optional period. Language-neutral, like the taxonomies: one row per highlight with its rationale
in fi/sv/en; the practice is shown in the visitor's language wherever a live translation exists
(found by the practice's ``translation_key``), otherwise in its source language."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page

from home.caching import CachedPageMixin
from practices.blocks import RICH_TEXT_FEATURES
from practices.models import PracticePage


def _language() -> str:
    return (get_language() or settings.LANGUAGE_CODE).split("-")[0]


class HighlightQuerySet(models.QuerySet):
    def current(self, today=None):
        """Highlights whose optional period (both ends inclusive) contains ``today``."""
        today = today or timezone.localdate()
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=today),
            Q(valid_until__isnull=True) | Q(valid_until__gte=today),
        )

    def for_practice(self, page):
        """The highlights of ``page`` in any of its languages."""
        return self.filter(practice__translation_key=page.translation_key)

    def with_pages(self, language_code):
        """The highlights in order, each with ``page``: its practice in ``language_code`` if live
        there, otherwise a live version in the default (source) language, otherwise any live
        version; highlights of practices that are not live anywhere are left out. Two queries."""
        highlights = list(self.annotate(practice_key=F("practice__translation_key")).order_by("sort_order", "pk"))
        if not highlights:
            return []
        pages = PracticePage.objects.live().filter(
            translation_key__in={highlight.practice_key for highlight in highlights}
        ).select_related("locale")
        best = {}
        for page in sorted(pages, key=lambda p: (p.locale.language_code != language_code,
                                                 p.locale.language_code != settings.LANGUAGE_CODE, p.pk)):
            best.setdefault(page.translation_key, page)
        for highlight in highlights:
            highlight.page = best.get(highlight.practice_key)
            highlight.in_other_language = highlight.page is not None and (
                highlight.page.locale.language_code != language_code
            )
        return [highlight for highlight in highlights if highlight.page is not None]


class Highlight(models.Model):
    """A practice picked as a national highlight. Only national editors change these."""

    practice = models.ForeignKey(
        PracticePage,
        verbose_name=_("practice"),
        on_delete=models.CASCADE,
        related_name="highlights",
        help_text=_("The highlight applies to the practice in every language."),
    )
    rationale_fi = models.TextField(_("rationale in Finnish"), max_length=500)
    rationale_sv = models.TextField(_("rationale in Swedish"), max_length=500, blank=True)
    rationale_en = models.TextField(_("rationale in English"), max_length=500, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    valid_from = models.DateField(_("shown from"), null=True, blank=True,
                                  help_text=_("Optional. Empty: shown from now on."))
    valid_until = models.DateField(_("shown until"), null=True, blank=True,
                                   help_text=_("Optional, inclusive. Empty: shown until further notice."))

    objects = HighlightQuerySet.as_manager()

    panels = [
        FieldPanel("practice"),
        MultiFieldPanel(
            [FieldPanel("rationale_fi"), FieldPanel("rationale_sv"), FieldPanel("rationale_en")],
            heading=_("Public rationale"),
        ),
        FieldRowPanel([FieldPanel("valid_from"), FieldPanel("valid_until")], heading=_("Period")),
        FieldPanel("sort_order"),
    ]

    class Meta:
        verbose_name = _("national highlight")
        verbose_name_plural = _("national highlights")
        ordering = ["sort_order", "pk"]

    def __str__(self) -> str:
        return self.practice.title if self.practice_id else ""

    @property
    def rationale(self) -> str:
        """The rationale in the active language (Finnish if that one is empty)."""
        return getattr(self, f"rationale_{_language()}", None) or self.rationale_fi

    def is_current(self, today=None) -> bool:
        today = today or timezone.localdate()
        return (self.valid_from is None or self.valid_from <= today) and (
            self.valid_until is None or today <= self.valid_until
        )

    def clean(self):
        super().clean()
        errors = {}
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            errors["valid_until"] = _("The end of the period cannot be before its start.")
        if self.practice_id:
            key = PracticePage.objects.filter(pk=self.practice_id).values_list("translation_key", flat=True).first()
            if Highlight.objects.filter(practice__translation_key=key).exclude(pk=self.pk).exists():
                errors["practice"] = _("This practice is already a highlight (in some language): edit that one.")
        if errors:
            raise ValidationError(errors)


class HighlightsPage(CachedPageMixin, Page):
    """The list of the current national highlights, one page per language (a child of the home page)."""

    intro = RichTextField(_("introduction"), blank=True, features=RICH_TEXT_FEATURES)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["home.HomePage"]
    subpage_types: list[str] = []
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("national highlights page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["highlights"] = Highlight.objects.current().with_pages(self.locale.language_code)
        return context
