from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page

from highlights.models import Highlight, HighlightsPage
from practices.blocks import RICH_TEXT_FEATURES
from practices.models import PracticeIndexPage, PracticePage, Region, RegionPage, Theme
from search.map import home_map

LATEST_PRACTICES = 6


class HomePage(Page):
    """The front page of one language: what KB is, latest practices, browse by theme and region."""

    intro = RichTextField(_("introduction"), blank=True, features=RICH_TEXT_FEATURES)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["practices.PracticeIndexPage", "highlights.HighlightsPage"]

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        live_here = Q(practices__live=True, practices__locale_id=self.locale_id)
        context["latest_practices"] = (
            PracticePage.objects.live()
            .filter(locale_id=self.locale_id)
            .order_by("-first_published_at", "-pk")
            .prefetch_related(*PracticePage.CARD_PREFETCH)[:LATEST_PRACTICES]
        )
        context["themes"] = Theme.objects.annotate(
            practice_count=Count("practices", filter=live_here)
        ).in_label_order()
        # The list beside the map shows the map's counts: the search's, which include practices
        # not yet translated into this language (as the region pages and the search page do).
        region_map = context["region_map"] = home_map(self.locale.language_code)
        map_counts = {region.code: region.count for region in region_map["regions"]}
        regions = list(Region.objects.all())
        region_pages = {page.region_id: page for page in RegionPage.objects.live().filter(locale_id=self.locale_id)}
        for region in regions:
            region.page = region_pages.get(region.pk)
            region.practice_count = map_counts.get(region.code, 0)
        context["regions"] = regions
        context["national_page"] = region_pages.get(None)
        context["practice_index"] = PracticeIndexPage.objects.child_of(self).live().first()
        context["highlights"] = Highlight.objects.current().with_pages(self.locale.language_code)
        context["highlights_page"] = HighlightsPage.objects.child_of(self).live().first()
        return context
