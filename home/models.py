from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page

from highlights.models import Highlight, HighlightsPage
from practices.blocks import RICH_TEXT_FEATURES
from practices.collation import sort_key
from practices.models import PracticeIndexPage, PracticePage, RegionPage
from practices.models.pages import children_range, prefetch_terms
from search.map import region_map as map_of_regions
from search.query import SearchRequest
from search.service import search

from .caching import CachedPageMixin

LATEST_PRACTICES = 6
# The statements' sections need headings of two levels (h1 is the title).
INFO_TEXT_FEATURES = ["h2", *RICH_TEXT_FEATURES]


class HomePage(CachedPageMixin, Page):
    """The front page of one language: what KB is, latest practices, browse by theme and region."""

    intro = RichTextField(_("introduction"), blank=True, features=RICH_TEXT_FEATURES)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["practices.PracticeIndexPage", "highlights.HighlightsPage", "home.InfoPage"]

    class Meta:
        verbose_name = _("home page")

    def route(self, request, path_components):
        """The practices index (below which are nearly all pages) in one query, as its own type;
        other children by Wagtail's route (two queries)."""
        if path_components:
            index = PracticeIndexPage.objects.filter(children_range(self), slug=path_components[0]).first()
            if index is not None:
                index._cached_parent_obj = self
                return index.route(request, path_components[1:])
        return super().route(request, path_components)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        translations = list(self.get_translations(inclusive=True).live().select_related("locale"))
        context["page_translations"] = translations  # for the language links
        language = next((page.locale for page in translations if page.pk == self.pk), None) or self.locale
        language = language.language_code
        from search.facets import ADOPTION_COUNT, adoption_count_annotation  # search imports the page models

        latest = list(PracticePage.objects.live().filter(locale_id=self.locale_id)
                      .annotate(**{ADOPTION_COUNT: adoption_count_annotation()})
                      .order_by("-first_published_at", "-pk")[:LATEST_PRACTICES])
        prefetch_terms(latest, PracticePage.CARD_RELATIONS)
        context["latest_practices"] = latest
        # The theme and region lists show the search's counts and labels (one empty search, the
        # map's), which include practices not yet translated into this language, as the search
        # page does when a link is followed.
        result = search(SearchRequest(locale=language, page_size=1), budget=settings.KB_ELASTICSEARCH_COUNTS_TIMEOUT)
        search_url = reverse("search")
        region_map = context["region_map"] = map_of_regions(result, lambda code: f"{search_url}?region={code}")
        context["themes"] = sorted(
            (BrowseItem(bucket.value, bucket.label, bucket.count) for bucket in result.facets["theme"]),
            key=lambda item: sort_key(item.label),
        )
        # The children (practices index, highlights page) and the region pages below the index, in
        # one query: the live pages one and two levels down, with the region of the region pages.
        below = list(Page.objects.live().filter(path__gt=self.path, path__lte=self.path + "ZZZZ" * 2,
                                                depth__in=(self.depth + 1, self.depth + 2))
                     .select_related("regionpage__region").order_by("path"))
        children = {page.content_type_id: page for page in below if page.depth == self.depth + 1}
        region_type = ContentType.objects.get_for_model(RegionPage).pk
        region_pages = {}
        for page in below:
            if page.depth == self.depth + 2 and page.content_type_id == region_type:
                region = page.regionpage.region
                region_pages.setdefault(region.code if region else None, page)
        context["regions"] = [BrowseItem(region.code, region.label, region.count, region_pages.get(region.code))
                              for region in region_map["regions"]]
        context["national_page"] = region_pages.get(None)
        context["practice_index"] = children.get(ContentType.objects.get_for_model(PracticeIndexPage).pk)
        context["highlights_page"] = children.get(ContentType.objects.get_for_model(HighlightsPage).pk)
        context["highlights"] = Highlight.objects.current().with_pages(language)
        return context


class InfoPage(CachedPageMixin, Page):
    """A page about the service itself: about and contact, the accessibility statement, the privacy
    notice. Its purpose (the same in every translation) puts it in every page's footer."""

    class Purpose(models.TextChoices):
        ABOUT = "about", _("About the service and contact")
        ACCESSIBILITY = "accessibility", _("Accessibility statement")
        PRIVACY = "privacy", _("Privacy notice")

    purpose = models.CharField(
        _("linked from the footer as"), max_length=20, choices=Purpose.choices, blank=True,
        help_text=_("Every page's footer links to the page with this purpose. One page per purpose."))
    intro = RichTextField(_("introduction"), blank=True, features=RICH_TEXT_FEATURES)
    body = RichTextField(_("main text"), blank=True, features=INFO_TEXT_FEATURES)
    contact = RichTextField(
        _("contact details"), blank=True, features=RICH_TEXT_FEATURES,
        help_text=_("Shown under the heading \"Contact details\"; the footer's contact link leads here."))

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body"), FieldPanel("contact")]
    settings_panels = Page.settings_panels + [FieldPanel("purpose")]
    parent_page_types = ["home.HomePage"]
    subpage_types = []

    class Meta:
        verbose_name = _("information page")
        verbose_name_plural = _("information pages")

    def clean(self):
        super().clean()
        if self.purpose:
            others = InfoPage.objects.filter(locale_id=self.locale_id, purpose=self.purpose).exclude(pk=self.pk)
            if others.exists():
                raise ValidationError({"purpose": _("Another page of this language already has this purpose.")})


@dataclass
class BrowseItem:
    """A theme or region of the browse lists: its search filter code, label, count and page, if any."""

    code: str
    label: str
    practice_count: int
    page: Page | None = None


class PublicContentState(models.Model):
    """One row whose random token is replaced by every change a public page can show: the page
    cache's key (home/caching.py, home/signals.py)."""

    token = models.CharField(max_length=32)

    def __str__(self):
        return self.token
