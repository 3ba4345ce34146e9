"""The page tree: practices index -> one region page per region (+ national) -> practice pages."""

import html

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import connection, models
from django.db.models import Exists, OuterRef, Prefetch, Q, Subquery, prefetch_related_objects
from django.db.models.functions import Substr
from django.http import Http404
from django.utils.functional import cached_property
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index
from wagtail_localize.fields import SynchronizedField
from wagtail_localize.models import TranslationSource

from home.caching import CachedPageMixin
from practices.blocks import RICH_TEXT_FEATURES, LinkStreamBlock, ModelStreamBlock
from practices.forms import ConsentNoticePanel, PracticePageForm

from .choices import EVIDENCE_DEFINITIONS, BudgetBand, EvaluationType, EvidenceLevel, Status
from .taxonomy import ActivityForm, FundingSource, Language, Organisation, Region, TargetGroup, Theme

# The notice on a practice shown in a language it lacks, by the language its text is shown in.
ONLY_IN = {
    "fi": _("This practice is available only in Finnish. The description is shown in Finnish."),
    "sv": _("This practice is available only in Swedish. The description is shown in Swedish."),
    "en": _("This practice is available only in English. The description is shown in English."),
}
NOT_TRANSLATED = {
    "fi": _("This practice has not been translated into this language. The description is shown in Finnish."),
    "sv": _("This practice has not been translated into this language. The description is shown in Swedish."),
    "en": _("This practice has not been translated into this language. The description is shown in English."),
}
PRACTICES_PER_PAGE = 20
UNTRANSLATED_SAMPLE = 5  # newest untranslated practices a region page names
SUMMARY_MAX_LENGTH = 300
ADOPTION_LINE_WORDS = 25  # the summary box's line on what adoption takes; the section has the rest


def children_range(page) -> Q:
    """The pages right below ``page``, as a range of the tree's indexed path: Wagtail's ``child_of``
    compares with LIKE 'path%', which SQLite cannot answer from the index (a scan of every page)."""
    return Q(path__gt=page.path, path__lte=page.path + "ZZZZ", depth=page.depth + 1)


def children_of(page, model):
    return model.objects.filter(children_range(page))


def original_first(language_code: str) -> int:
    """Sort key: which version of an untranslated practice is shown (and linked) in a language
    that lacks it: the one in the first language of settings.LANGUAGES (Finnish) that has one."""
    codes = [code for code, _name in settings.LANGUAGES]
    return codes.index(language_code) if language_code in codes else len(codes)


class ChildRouteMixin:
    """Route to a child in one query, as the page type of every child (``child_model``); Wagtail's
    own route takes two (the page, then its specific type) at every level of the URL."""

    child_model = None  # set below, once the page types exist
    child_related = ()  # select_related of the child

    def route(self, request, path_components):
        if not path_components:
            return super().route(request, path_components)
        try:
            child = self.child_model.objects.select_related(*self.child_related).get(
                children_range(self), slug=path_components[0])
        except self.child_model.DoesNotExist as error:
            raise Http404 from error
        child._cached_parent_obj = self  # as Wagtail's route does: no query for the breadcrumb
        return child.route(request, path_components[1:])


def paginate(request, queryset, per_page=PRACTICES_PER_PAGE):
    """A page of results; out-of-range or malformed page numbers fall back to a valid page."""
    from search.query import ascii_int  # search imports these models: not at module level

    paginator = Paginator(queryset, per_page)
    try:
        return paginator.page(ascii_int(request.GET.get("page")) or 1)
    except PageNotAnInteger:
        return paginator.page(1)
    except EmptyPage:
        return paginator.page(paginator.num_pages)


class PracticeIndexPage(ChildRouteMixin, CachedPageMixin, Page):
    intro = RichTextField(_("introduction"), blank=True, features=RICH_TEXT_FEATURES)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["home.HomePage"]
    subpage_types = ["practices.RegionPage"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("practices index")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["region_pages"] = (
            RegionPage.objects.child_of(self).live().select_related("region").order_by("region__code")
        )
        return context


class RegionPage(ChildRouteMixin, CachedPageMixin, Page):
    """Landing page of one region (or of national practices); editorial permissions hang here."""

    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Leave empty for the page of national practices."),
    )
    intro = RichTextField(_("introduction"), blank=True, features=RICH_TEXT_FEATURES)

    content_panels = Page.content_panels + [FieldPanel("region"), FieldPanel("intro")]
    override_translatable_fields = [SynchronizedField("region")]
    parent_page_types = ["practices.PracticeIndexPage"]
    subpage_types = ["practices.PracticePage"]

    class Meta:
        verbose_name = _("region page")

    @property
    def is_national(self) -> bool:
        return self.region_id is None

    def clean(self):
        super().clean()
        siblings = RegionPage.objects.sibling_of(self, inclusive=False).filter(region=self.region)
        if self.pk is None and self.get_parent() is None:
            return
        if siblings.exists():
            raise ValidationError({"region": _("This region already has a page here.")})

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # Every practice below, as (pk, group, live, published): the page's count, its page of
        # cards and the groups translated here, from one query.
        children = list(children_of(self, PracticePage).values_list("pk", "translation_key", "live",
                                                                    "first_published_at"))
        live = sorted((row for row in children if row[2]), key=newest_first, reverse=True)
        practices = paginate(request, [row[0] for row in live])
        from search.facets import ADOPTION_COUNT, adoption_count_annotation  # search imports these models

        by_pk = (PracticePage.objects.annotate(**{ADOPTION_COUNT: adoption_count_annotation()})
                 .in_bulk(practices.object_list))
        practices.object_list = [by_pk[pk] for pk in practices.object_list if pk in by_pk]
        prefetch_terms(practices.object_list, PracticePage.CARD_RELATIONS)
        context["practices"] = practices
        translations = list(RegionPage.objects.filter(translation_key=self.translation_key).select_related("locale"))
        context["page_translations"] = [page for page in translations if page.live]  # for the language links
        context["untranslated"] = self.untranslated_practices(
            [page for page in translations if page.pk != self.pk], {row[1] for row in children})
        context["search_filter"] = self.search_filter()
        if self.region_id:
            from adoptions.display import adopted_in_region  # adoptions import these models

            context["adopted_here"] = adopted_in_region(self.region, self.locale_id)
        return context

    def route(self, request, path_components):
        if len(path_components) != 1:  # this page, or deeper than any practice
            return super().route(request, path_components)
        practice = self.practice_for_slug(path_components[0])
        if practice is None:
            raise Http404
        practice._cached_parent_obj = self  # as Wagtail's route does: no query for the breadcrumb
        if not practice.path.startswith(self.path):
            # Served in this page's language (the interface) with its text in the original language.
            practice.served_under = self
        return practice.route(request, [])

    def practice_for_slug(self, slug):
        """The live practice at <this page's URL><slug>/, in ONE query: the child with this slug, else
        the practice with this slug below one of this page's translations that has no live
        translation in this page's language (what /en/<index>/<region>/<finnish-slug>/ shows)."""
        elsewhere = (RegionPage.objects.filter(translation_key=self.translation_key).exclude(pk=self.pk)
                     .values("path"))
        translated_here = PracticePage.objects.live().filter(translation_key=OuterRef("translation_key"),
                                                             locale_id=self.locale_id)
        candidates = (
            PracticePage.objects.live().filter(slug=slug, depth=self.depth + 1)
            .annotate(parent_path=Substr("path", 1, len(self.path)))
            .filter(children_range(self) | Q(parent_path__in=elsewhere) & ~Exists(translated_here))
            .select_related("locale", *self.child_related)
        )
        return min(candidates, default=None, key=lambda page: (not page.path.startswith(self.path),
                                                              original_first(page.locale.language_code)))

    def search_filter(self) -> str:
        """The search's region filter for this page's practices ("national" for national ones)."""
        from search.facets import NATIONAL  # search imports these models: not at module level

        return self.region.code if self.region_id else NATIONAL

    def untranslated_practices(self, others, translated_here, sample=UNTRANSLATED_SAMPLE):
        """Live practices of this region that exist only in other languages: how many, and the newest
        few (each once, in the default language when it has one). A count and a link to the search,
        not a list: a region can have thousands (the search lists them, paginated, in any language).
        ``others``: this page's translations; ``translated_here``: the groups of its children."""
        if not others:
            return {"count": 0, "newest": []}
        below_others = Q()
        for region_page in others:
            below_others |= children_range(region_page)
        rows = (PracticePage.objects.live().filter(below_others)
                .values_list("translation_key", "pk", "first_published_at", "locale__language_code"))
        groups = {}
        # One version per group, in the default language when there is one; newest groups first.
        for key, pk, published, _language in sorted(rows, key=lambda row: row[3] != settings.LANGUAGE_CODE):
            if key not in translated_here:
                groups.setdefault(key, (pk, key, True, published))
        newest = sorted(groups.values(), key=newest_first, reverse=True)[:sample]
        by_pk = PracticePage.objects.select_related("locale").in_bulk([row[0] for row in newest])
        return {"count": len(groups), "newest": [by_pk[row[0]] for row in newest if row[0] in by_pk]}


def newest_first(row):
    """Sort key of (pk, group, live, first published) rows, for reverse=True: newest first."""
    pk, _key, _live, published = row
    return (published is not None, published.timestamp() if published else 0, pk)


TERM_RELATIONS = ("regions", "themes", "target_groups", "languages", "activity_forms", "funding_sources")
TERM_COLUMNS = ("id", "code", "name_fi", "name_sv", "name_en", "sort_order")  # shared by every Term


def prefetch_terms(pages, relations):
    """The taxonomy values of ``relations`` of every practice in ``pages`` in ONE query (a UNION of
    the link tables), stored where Django's prefetch would put them: ``page.themes.all`` and the
    like then run no query. (prefetch_related takes a query per relation.)"""
    pages = [page for page in pages if page.pk]
    if not pages:
        return
    ids = [page.pk for page in pages]
    marks = ", ".join(["%s"] * len(ids))
    parts = []
    for name in relations:
        field = PracticePage._meta.get_field(name)
        parts.append(
            f"SELECT '{name}' AS relation, link.{field.m2m_column_name()} AS page_id, "
            f"{', '.join('t.' + column for column in TERM_COLUMNS)} "
            f"FROM {field.remote_field.through._meta.db_table} AS link "
            f"JOIN {field.related_model._meta.db_table} AS t ON t.id = link.{field.m2m_reverse_name()} "
            f"WHERE link.{field.m2m_column_name()} IN ({marks})"
        )
    found = {(page.pk, name): [] for page in pages for name in relations}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), ids * len(parts))
        for relation, page_id, *values in cursor.fetchall():
            model = PracticePage._meta.get_field(relation).related_model
            # from_db takes the values in the model's field order: Region declares ``code`` last.
            by_column = dict(zip(TERM_COLUMNS, values, strict=True))
            columns = [field.attname for field in model._meta.concrete_fields]
            found[(page_id, relation)].append(model.from_db(connection.alias, columns,
                                                            [by_column[column] for column in columns]))
    for page in pages:
        for name in relations:
            ordering = PracticePage._meta.get_field(name).related_model._meta.ordering
            terms = sorted(found[(page.pk, name)], key=lambda term: tuple(getattr(term, f) for f in ordering))
            store_prefetched(page, name, terms)


def prefetch_partner_organisations(pages):
    """Every practice's partner organisations (with their types) in ONE query, stored where Django's
    prefetch would put them."""
    pages = [page for page in pages if page.pk]
    if not pages:
        return
    found = {page.pk: [] for page in pages}
    links = (PracticePage._meta.get_field("partner_organisations").remote_field.through.objects
             .filter(practicepage_id__in=found).select_related("organisation__type")
             .order_by(*[f"organisation__{name}" for name in Organisation._meta.ordering]))
    for link in links:
        found[link.practicepage_id].append(link.organisation)
    for page in pages:
        store_prefetched(page, "partner_organisations", found[page.pk])


def related(instance, name):
    """The objects of the relation ``name``: those prefetched, without building a related manager and
    its queryset (25 µs each through modelcluster, 15 per practice in a reindex), else its query."""
    cache = getattr(instance, "_prefetched_objects_cache", {})
    return cache[name] if name in cache else getattr(instance, name).all()


def store_prefetched(instance, name, objects):
    """Put ``objects`` where Django's prefetch_related would have put the relation ``name``."""
    queryset = instance._meta.get_field(name).related_model.objects.all()
    queryset._result_cache, queryset._prefetch_done = objects, True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[name] = queryset


class PracticeContact(Orderable):
    """A contact person or role mailbox. Shown publicly only with the person's consent."""

    page = ParentalKey("practices.PracticePage", on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name or role mailbox"), max_length=150)
    role = models.CharField(_("role"), max_length=150, blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    publish_consent = models.BooleanField(
        _("agreed to publication"),
        default=False,
        help_text=_("Only contacts who have agreed to publication are shown on the public page."),
    )

    panels = [
        FieldPanel("name"),
        FieldRowPanel([FieldPanel("role"), FieldPanel("organisation")]),
        FieldRowPanel([FieldPanel("email"), FieldPanel("phone")]),
        FieldPanel("publish_consent"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.name


class PracticePage(CachedPageMixin, Page):
    """A good practice, structured like the best practice databases: need, model, where and who,
    time and money, results and evidence, contacts."""

    # Identity
    summary = models.CharField(
        _("summary"),
        max_length=SUMMARY_MAX_LENGTH,
        help_text=_("A short lead: what the practice is and for whom (at most 300 characters)."),
    )
    plain_summary = models.TextField(
        _("plain-language summary"),
        blank=True,
        max_length=1000,
        help_text=_("Optional summary in plain language (selkokieli / lättläst)."),
    )
    # The need
    problem = RichTextField(_("problem or need addressed"), features=RICH_TEXT_FEATURES)
    goals = RichTextField(_("goals"), blank=True, features=RICH_TEXT_FEATURES)
    # The model
    model = StreamField(ModelStreamBlock(), verbose_name=_("how it works"), help_text=_(
        "Describe how the practice works in sections: add at least one with the “Add a section” button "
        "(a paragraph, steps, an image, a quote or a document)."))
    core_components = RichTextField(_("core components"), blank=True, features=RICH_TEXT_FEATURES,
                                    help_text=_("What must stay the same when others adopt the practice."))
    adaptable_parts = RichTextField(_("what can be adapted locally"), blank=True, features=RICH_TEXT_FEATURES)
    # Where and who
    regions = ParentalManyToManyField(Region, verbose_name=_("regions where it runs"), blank=True,
                                      related_name="practices")
    is_national = models.BooleanField(_("national"), default=False,
                                      help_text=_("The practice runs across Finland."))
    municipalities = models.CharField(_("municipalities"), max_length=500, blank=True,
                                      help_text=_("Optional, separated by commas."))
    lead_organisation = models.ForeignKey(Organisation, verbose_name=_("lead organisation"), null=True,
                                          blank=True, on_delete=models.SET_NULL, related_name="led_practices")
    partner_organisations = ParentalManyToManyField(Organisation, verbose_name=_("partner organisations"),
                                                    blank=True, related_name="partner_practices")
    target_groups = ParentalManyToManyField(TargetGroup, verbose_name=_("target groups"), blank=True,
                                            related_name="practices")
    themes = ParentalManyToManyField(Theme, verbose_name=_("themes"), blank=True, related_name="practices")
    languages = ParentalManyToManyField(Language, verbose_name=_("languages offered"), blank=True,
                                        related_name="practices")
    activity_forms = ParentalManyToManyField(ActivityForm, verbose_name=_("activity forms"), blank=True,
                                             related_name="practices")
    # Time and money
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    is_permanent = models.BooleanField(_("now a permanent service"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ONGOING)
    funding_sources = ParentalManyToManyField(FundingSource, verbose_name=_("funding sources"), blank=True,
                                              related_name="practices")
    resources = RichTextField(_("resources needed"), blank=True, features=RICH_TEXT_FEATURES,
                              help_text=_("Staff, volunteers, premises, materials."))
    budget_band = models.CharField(_("budget"), max_length=20, choices=BudgetBand.choices, blank=True)
    # Results
    results = RichTextField(_("results"), blank=True, features=RICH_TEXT_FEATURES)
    feedback = RichTextField(_("participants' feedback"), blank=True, features=RICH_TEXT_FEATURES)
    evaluation_type = models.CharField(_("evaluation"), max_length=30, choices=EvaluationType.choices,
                                       default=EvaluationType.NONE)
    evidence_level = models.CharField(_("evidence level"), max_length=20, choices=EvidenceLevel.choices,
                                      default=EvidenceLevel.DESCRIBED)
    lessons_learned = RichTextField(_("lessons learned"), blank=True, features=RICH_TEXT_FEATURES)
    transferability = RichTextField(_("what adoption takes"), blank=True, features=RICH_TEXT_FEATURES,
                                    help_text=_("What another actor needs to adopt the practice."))
    # Links and review
    links = StreamField(LinkStreamBlock(), verbose_name=_("links and attachments"), blank=True)
    last_reviewed = models.DateField(_("last reviewed"), null=True, blank=True)

    base_form_class = PracticePageForm
    parent_page_types = ["practices.RegionPage"]
    subpage_types: list[str] = []

    # Language-neutral facts are copied from the source page into every translation, on every sync.
    override_translatable_fields = [
        SynchronizedField(name)
        for name in (
            "regions", "is_national", "municipalities", "lead_organisation", "partner_organisations",
            "target_groups", "themes", "languages", "activity_forms", "start_date", "end_date",
            "is_permanent", "status", "funding_sources", "budget_band", "evaluation_type",
            "evidence_level", "contacts", "last_reviewed",
        )
    ]

    # The many-to-many values a practice card or page shows; prefetched, never queried per item.
    CARD_PREFETCH = CARD_RELATIONS = ("regions", "themes")
    PAGE_PREFETCH = (
        "regions", "themes", "target_groups", "languages", "activity_forms", "funding_sources",
        Prefetch("partner_organisations", queryset=Organisation.objects.select_related("type")),
    )

    search_fields = Page.search_fields + [
        index.SearchField("summary", boost=3),
        index.SearchField("plain_summary", boost=2),
        index.SearchField("problem"),
        index.SearchField("goals"),
        index.SearchField("model"),
        index.SearchField("results"),
        index.RelatedFields("lead_organisation", [index.SearchField("name")]),
        index.FilterField("status"),
        index.FilterField("evidence_level"),
        index.FilterField("is_national"),
    ]

    content_panels = [
        ConsentNoticePanel(heading=_("Publication consent")),  # also for the reviewer, on the first tab
        *Page.content_panels,
        FieldPanel("summary", widget=forms.Textarea(attrs={"rows": 3})),
        FieldPanel("plain_summary"),
        MultiFieldPanel([FieldPanel("problem"), FieldPanel("goals")], heading=_("The need")),
        MultiFieldPanel(
            [FieldPanel("model"), FieldPanel("core_components"), FieldPanel("adaptable_parts")],
            heading=_("The model"),
        ),
    ]
    where_panels = [
        MultiFieldPanel([FieldPanel("regions"), FieldPanel("is_national"), FieldPanel("municipalities")],
                        heading=_("Where")),
        MultiFieldPanel([FieldPanel("lead_organisation"), FieldPanel("partner_organisations")],
                        heading=_("Who runs it")),
        MultiFieldPanel([FieldPanel("target_groups"), FieldPanel("themes"), FieldPanel("languages"),
                         FieldPanel("activity_forms")], heading=_("For whom and how")),
    ]
    time_money_panels = [
        FieldRowPanel([FieldPanel("start_date"), FieldPanel("end_date")], heading=_("Period")),
        FieldPanel("is_permanent"),
        FieldPanel("status"),
        FieldPanel("funding_sources"),
        FieldPanel("resources"),
        FieldPanel("budget_band"),
    ]
    results_panels = [
        FieldPanel("results"),
        FieldPanel("feedback"),
        FieldRowPanel([FieldPanel("evaluation_type"), FieldPanel("evidence_level")]),
        FieldPanel("lessons_learned"),
        FieldPanel("transferability"),
    ]
    contact_panels = [
        ConsentNoticePanel(heading=_("Publication consent")),
        InlinePanel("contacts", heading=_("Contacts"), label=_("Contact")),
        FieldPanel("links"),
        FieldPanel("last_reviewed"),
    ]
    edit_handler = TabbedInterface([
        ObjectList(content_panels, heading=_("Practice")),
        ObjectList(where_panels, heading=_("Where and who")),
        ObjectList(time_money_panels, heading=_("Time and money")),
        ObjectList(results_panels, heading=_("Results")),
        ObjectList(contact_panels, heading=_("Contacts and links")),
        ObjectList(Page.promote_panels, heading=_("Promote")),
        ObjectList(Page.settings_panels, heading=_("Settings")),
    ])

    class Meta:
        verbose_name = _("practice")
        verbose_name_plural = _("practices")

    def clean(self):
        super().clean()
        errors = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _("The end date cannot be before the start date.")
        if self.is_permanent and self.end_date:
            errors["is_permanent"] = _("A permanent service has no end date: clear one of the two.")
        if self.status == Status.ENDED and not self.end_date:
            errors["end_date"] = _("An ended practice needs its end date.")
        if errors:
            raise ValidationError(errors)

    @cached_property
    def owner_region_page(self):
        return RegionPage.objects.filter(pk=self.get_parent().pk).select_related("region").first()

    @property
    def evidence_definition(self):
        return EVIDENCE_DEFINITIONS.get(self.evidence_level, "")

    def prefetch_organisations(self):
        """The lead organisation and the partners, with their types, in one query."""
        links = self._meta.get_field("partner_organisations").remote_field.through.objects.filter(
            practicepage_id=self.pk, organisation_id=OuterRef("pk"))
        organisations = list(
            Organisation.objects.select_related("type")
            .annotate(is_partner=Exists(links))
            .filter(Q(pk=self.lead_organisation_id) | Q(is_partner=True))
            .order_by("name")
        )
        if self.lead_organisation_id:
            self.lead_organisation = next((o for o in organisations if o.pk == self.lead_organisation_id), None)
        store_prefetched(self, "partner_organisations", [o for o in organisations if o.is_partner])

    def translated_from(self):
        """The language code of the source this page was translated from, or None for an original."""
        source = TranslationSource.objects.filter(object_id=self.translation_key).select_related("locale").first()
        if source is None or source.locale_id == self.locale_id:
            return None
        return source.locale.language_code

    def sections(self) -> dict:
        """The page's sections that have content, anchor -> heading, in page order: the table of
        contents and the template's conditions both read it."""
        def has_text(html):
            return bool(html and strip_tags(html).strip())

        sections = {
            "need": _("The need") if has_text(self.problem) or has_text(self.goals) else None,
            "model": _("How it works") if (len(self.model) or has_text(self.core_components)
                                           or has_text(self.adaptable_parts)) else None,
            "who": _("Where and who"),  # taxonomy values and "–" rows: never empty
            "money": _("Time and money"),
            "results": _("Results and evidence"),
            "adopted": _("Adopted elsewhere"),  # the adoptions, or the invitation to report one
            "contacts": _("Contacts"),  # the contacts or "contact the lead organisation"
            "links": _("Links and attachments") if len(self.links) else None,
        }
        return {anchor: heading for anchor, heading in sections.items() if heading}

    def adoption_line(self) -> str:
        """The start of "what adoption takes" as plain text, for the summary box."""
        return Truncator(html.unescape(strip_tags(self.transferability or "")).strip()).words(ADOPTION_LINE_WORDS)

    @staticmethod
    def fallback_urls(request, translations, region_pages) -> dict:
        """language -> URL that shows this practice in a language it has no live translation in:
        below that language's region page, under the slug of the version shown there (see
        RegionPage.practice_for_slug). Both arguments: live pages by language."""
        if not translations:
            return {}
        original = min(translations.values(), key=lambda page: original_first(page.locale.language_code))
        return {language: f"{region_page.get_url(request)}{original.slug}/"
                for language, region_page in region_pages.items() if language not in translations}

    def fallback_notice(self, translations):
        """What a visitor reads above a practice shown in a language it lacks."""
        language = self.locale.language_code
        return (ONLY_IN if set(translations) == {language} else NOT_TRANSLATED).get(language, "")

    def public_contacts(self):
        """Contacts who agreed to publication; the only ones a template may show."""
        return [contact for contact in self.contacts.all() if contact.publish_consent]

    def related_practices(self, limit=4, locale_id=None):
        """Live practices in the page's language (or ``locale_id``'s) sharing the most themes and target groups (then the
        newest). Scored on the link tables alone (a join of both relations multiplies their rows:
        over 300 ms at 10,000 practices), then the few winners are loaded."""
        theme_ids = [theme.pk for theme in self.themes.all()]
        group_ids = [group.pk for group in self.target_groups.all()]
        if not theme_ids and not group_ids:
            return []
        themes, groups = PracticePage.themes.through._meta.db_table, PracticePage.target_groups.through._meta.db_table
        links = []
        params = []
        if theme_ids:
            links.append(f"SELECT practicepage_id FROM {themes} WHERE theme_id IN ({', '.join(['%s'] * len(theme_ids))})")
            params += theme_ids
        if group_ids:
            links.append(f"SELECT practicepage_id FROM {groups} WHERE targetgroup_id IN "
                         f"({', '.join(['%s'] * len(group_ids))})")
            params += group_ids
        scored = (
            f"SELECT page.id AS id, COUNT(*) AS score FROM ({' UNION ALL '.join(links)}) AS shared "
            f"JOIN {Page._meta.db_table} AS page ON page.id = shared.practicepage_id "
            "WHERE page.live = %s AND page.locale_id = %s AND page.id <> %s "
            "GROUP BY page.id, page.first_published_at "
            "ORDER BY COUNT(*) DESC, page.first_published_at DESC, page.id DESC LIMIT %s"
        )
        # The winners with the few columns a link needs, in the same query.
        sql = (
            "SELECT page.id, page.title, page.url_path, page.path, page.depth, page.locale_id, "
            f"page.content_type_id, practice.page_ptr_id, practice.summary FROM ({scored}) AS best "
            f"JOIN {Page._meta.db_table} AS page ON page.id = best.id "
            f"JOIN {PracticePage._meta.db_table} AS practice ON practice.page_ptr_id = best.id "
            "ORDER BY best.score DESC, page.first_published_at DESC, page.id DESC"
        )
        return list(PracticePage.objects.raw(sql, [*params, True, locale_id or self.locale_id, self.pk, limit]))

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        if not getattr(request, "is_preview", False):
            # A fixed number of queries, however many values the practice has. (A preview holds
            # its relations in memory already.)
            prefetch_terms([self], TERM_RELATIONS)
            self.prefetch_organisations()
            prefetch_related_objects([self], "contacts")
        # The live translations (for the language links) with the language of the group's source.
        source = TranslationSource.objects.filter(object_id=OuterRef("translation_key")).values("locale__language_code")
        # ... and those of the region page, for the languages the practice lacks: in the same query.
        region_key = self.get_parent().translation_key
        both = list(Page.objects.live().filter(translation_key__in=[self.translation_key, region_key])
                    .select_related("locale").annotate(source_language=Subquery(source[:1])))
        translations = [page for page in both if page.translation_key == self.translation_key]
        context["page_translations"] = translations
        by_language = {page.locale.language_code: page for page in translations}
        region_pages = {page.locale.language_code: page for page in both if page.translation_key == region_key}
        context["language_fallbacks"] = self.fallback_urls(request, by_language, region_pages)  # for the links
        # Set by RegionPage.route when this practice is shown in a language it lacks.
        served_under = getattr(self, "served_under", None)
        if served_under is None:
            context["page_url"] = request.build_absolute_uri(self.get_url(request))
            context["content_lang"] = ""
        else:
            context["page_url"] = request.build_absolute_uri(context["language_fallbacks"].get(
                served_under.locale.language_code, request.path))
            context["original_url"] = request.build_absolute_uri(self.get_url(request))
            context["fallback_notice"] = self.fallback_notice(by_language)
            # WCAG 3.1.2: the text in the original language is marked as such, the interface is not.
            context["content_lang"] = mark_safe(f' lang="{self.locale.language_code}"')
        context["sections"] = self.sections()
        this = next((page for page in translations if page.pk == self.pk), None)
        if this is None:  # not live (a preview)
            context["translated_from"] = self.translated_from()
        else:
            context["translated_from"] = this.source_language if this.source_language != this.locale.language_code else None
        context["public_contacts"] = self.public_contacts()
        # In the visitor's language, also when the practice itself is shown in its original.
        context["related_practices"] = self.related_practices(locale_id=(served_under or self).locale_id)
        from adoptions.display import adoption_context  # adoptions import these models: not at module level

        context.update(adoption_context(self))
        return context


PracticeIndexPage.child_model, PracticeIndexPage.child_related = RegionPage, ("region", "locale")
RegionPage.child_model = PracticePage
