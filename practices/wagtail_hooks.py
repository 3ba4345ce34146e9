"""Admin: taxonomies as snippets with search and filters, a searchable organisation chooser, a
filterable practice listing, and the practice editor's helpers (script, consent warnings)."""

import django_filters
from django import forms
from django.conf import settings
from django.contrib import messages
from django.db.models import Exists, OuterRef
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.views.pages.listing import PageFilterSet
from wagtail.admin.viewsets.pages import PageListingViewSet
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.chooser import SnippetChooserViewSet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup
from wagtail_localize.models import Translation

from .forms import consent_notice
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


class OrganisationSearchForm(BaseFilterForm):
    """The chooser's search: any part of the name (the database's substring match, as in the
    listing: "kirjasto" finds "Tampereen kaupunginkirjasto")."""

    q = forms.CharField(label=_("Search by name"), required=False,
                        widget=forms.TextInput(attrs={"placeholder": _("Part of the name")}))

    def filter(self, objects):
        query = self.cleaned_data.get("q", "").strip()
        if query:
            objects = objects.filter(name__icontains=query)
            self.is_searching, self.search_query = True, query
        return objects


class OrganisationChooserViewSet(SnippetChooserViewSet):
    # "Create new" in the chooser: offered to whoever may add organisations (editorial/roles.py:
    # coordinators and national editors), with the fields of the organisation's own form.
    form_fields = ["name", "type", "region", "website"]
    create_action_label = _("Create the organisation")

    class ChooseView(SnippetChooserViewSet.choose_view_class):
        filter_form_class = OrganisationSearchForm

    class ChooseResultsView(SnippetChooserViewSet.choose_results_view_class):
        filter_form_class = OrganisationSearchForm

    choose_view_class = ChooseView
    choose_results_view_class = ChooseResultsView


class OrganisationViewSet(SnippetViewSet):
    model = Organisation
    icon = "group"
    list_display = ["name", "type", "region", "website"]
    search_fields = ["name", "website"]
    search_backend_name = None
    filterset_class = OrganisationFilterSet
    chooser_viewset_class = OrganisationChooserViewSet


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


class LanguageVersionFilter(django_filters.ChoiceFilter):
    """Which language versions the listing shows. By default one row per practice, its original (the
    version the others are translated from), so the count is the number of practices, not of pages."""

    def filter(self, queryset, value):
        if value == "all":
            return queryset
        if value:
            return queryset.filter(locale__language_code=value)
        translated = Translation.objects.filter(source__object_id=OuterRef("translation_key"),
                                                target_locale=OuterRef("locale"))
        return queryset.exclude(Exists(translated))


class PracticeFilterSet(PageFilterSet):
    # Not named "locale": Wagtail's listing reads that parameter as a Locale (404 for "all").
    versions = LanguageVersionFilter(
        label=_("Language version"), empty_label=_("Original (one row per practice)"), widget=forms.RadioSelect,
        choices=[*settings.LANGUAGES, ("all", _("All language versions"))],
    )
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

    def _add_locale_filter(self):
        """Wagtail's own language filter (all versions by default) is replaced by ``versions``."""


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


# --- The practice editor --------------------------------------------------------------------------
@hooks.register("insert_editor_js")
def practice_editor_js():
    # A file, not inline code (the admin's Content-Security-Policy); the label travels as data.
    return format_html('<script src="{}" data-add-block-label="{}"></script>',
                       static("practices/admin/editor.js"), _("Add a section"))


@hooks.register("insert_editor_css")
def practice_editor_css():
    return format_html('<link rel="stylesheet" href="{}">', static("practices/admin/editor.css"))


def warn_about_consents(request, page):
    """Saving or submitting a practice whose contacts will not all be shown: a warning, not a refusal."""
    if isinstance(page, PracticePage):  # the editor's own instance, with the contacts as submitted
        notice = consent_notice(page)
        if notice:
            messages.warning(request, notice)


@hooks.register("after_create_page")
def warn_about_consents_after_create(request, page):
    warn_about_consents(request, page)


@hooks.register("after_edit_page")
def warn_about_consents_after_edit(request, page):
    warn_about_consents(request, page)
