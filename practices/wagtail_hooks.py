"""Admin: taxonomies as snippets with search and filters, and a filterable practice listing."""

import django_filters
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.views.pages.listing import PageFilterSet
from wagtail.admin.viewsets.pages import PageListingViewSet
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import (
    ActivityForm,
    FundingSource,
    Language,
    Organisation,
    OrganisationType,
    PracticePage,
    Region,
    Status,
    TargetGroup,
    Theme,
)


class TermViewSet(SnippetViewSet):
    search_backend_name = None  # small tables: the database's substring match finds partial words
    list_display = ["code", "name_fi", "name_sv", "name_en"]
    search_fields = ["code", "name_fi", "name_sv", "name_en"]
    ordering = ["sort_order", "code"]
    copy_view_enabled = False


def term_viewset(term_model, icon):
    return type(
        f"{term_model.__name__}ViewSet",
        (TermViewSet,),
        {"model": term_model, "icon": icon, "ordering": term_model._meta.ordering},
    )


class OrganisationFilterSet(WagtailFilterSet):
    class Meta:
        model = Organisation
        fields = ["type", "region"]


class OrganisationViewSet(SnippetViewSet):
    model = Organisation
    icon = "group"
    list_display = ["name", "type", "region", "website"]
    search_fields = ["name", "website"]
    search_backend_name = None
    filterset_class = OrganisationFilterSet


class TaxonomyGroup(SnippetViewSetGroup):
    menu_label = _("Taxonomies")
    menu_icon = "tag"
    menu_order = 300
    items = (
        term_viewset(Region, "site"),
        term_viewset(Theme, "tag"),
        term_viewset(TargetGroup, "user"),
        term_viewset(OrganisationType, "group"),
        term_viewset(Language, "globe"),
        term_viewset(FundingSource, "pick"),
        term_viewset(ActivityForm, "list-ul"),
        OrganisationViewSet,
    )


register_snippet(TaxonomyGroup)


class PracticeFilterSet(PageFilterSet):
    regions = django_filters.ModelMultipleChoiceFilter(
        label=_("Region where it runs"), queryset=Region.objects.all(), field_name="regions", distinct=True
    )
    themes = django_filters.ModelMultipleChoiceFilter(
        label=_("Theme"), queryset=Theme.objects.all(), field_name="themes", distinct=True
    )
    status = django_filters.MultipleChoiceFilter(label=_("Status"), choices=Status.choices)

    class Meta:
        model = PracticePage
        fields = []


class PracticeListingViewSet(PageListingViewSet):
    model = PracticePage
    icon = "doc-full-inverse"
    menu_label = _("Practices")
    add_to_admin_menu = True
    menu_order = 100
    filterset_class = PracticeFilterSet
    name = "practices"


@hooks.register("register_admin_viewset")
def register_practice_listing():
    return PracticeListingViewSet("practices")
