"""The page tree: practices index -> one region page per region (+ national) -> practice pages."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import models
from django.db.models import Count, Prefetch, Q, prefetch_related_objects
from django.utils.functional import cached_property
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

from practices.blocks import RICH_TEXT_FEATURES, LinkStreamBlock, ModelStreamBlock
from practices.collation import sort_key
from practices.forms import PracticePageForm

from .choices import EVIDENCE_DEFINITIONS, BudgetBand, EvaluationType, EvidenceLevel, Status
from .taxonomy import ActivityForm, FundingSource, Language, Organisation, Region, TargetGroup, Theme

PRACTICES_PER_PAGE = 20
SUMMARY_MAX_LENGTH = 300


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


class PracticeIndexPage(Page):
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


class RegionPage(Page):
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
        practices = (
            PracticePage.objects.child_of(self)
            .live()
            .order_by("-first_published_at", "-pk")
            .prefetch_related(*PracticePage.CARD_PREFETCH)
        )
        context["practices"] = paginate(request, practices)
        context["untranslated"] = self.untranslated_practices()
        return context

    def untranslated_practices(self):
        """Live practices of this region that exist only in other languages, each once."""
        others = list(RegionPage.objects.filter(translation_key=self.translation_key).exclude(pk=self.pk))
        if not others:
            return []
        below_others = Q()
        for region_page in others:
            below_others |= Q(path__startswith=region_page.path, depth=region_page.depth + 1)
        translated_here = PracticePage.objects.child_of(self).values("translation_key")
        candidates = (
            PracticePage.objects.live().filter(below_others).exclude(translation_key__in=translated_here)
            .select_related("locale").order_by("title")
        )
        unique = {}
        for practice in sorted(candidates, key=lambda p: p.locale.language_code != settings.LANGUAGE_CODE):
            unique.setdefault(practice.translation_key, practice)
        return sorted(unique.values(), key=lambda practice: sort_key(practice.title))


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


class PracticePage(Page):
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
    model = StreamField(ModelStreamBlock(), verbose_name=_("how it works"))
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
    CARD_PREFETCH = ("regions", "themes")
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

    content_panels = Page.content_panels + [
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

    def translated_from(self):
        """The language code of the source this page was translated from, or None for an original."""
        source = TranslationSource.objects.filter(object_id=self.translation_key).select_related("locale").first()
        if source is None or source.locale_id == self.locale_id:
            return None
        return source.locale.language_code

    def public_contacts(self):
        """Contacts who agreed to publication; the only ones a template may show."""
        return [contact for contact in self.contacts.all() if contact.publish_consent]

    def related_practices(self, limit=4):
        """Live practices in the same language sharing the most themes and target groups."""
        theme_ids = [theme.pk for theme in self.themes.all()]
        group_ids = [group.pk for group in self.target_groups.all()]
        shared = Q(themes__in=theme_ids) | Q(target_groups__in=group_ids)
        return (
            PracticePage.objects.live()
            .filter(locale_id=self.locale_id)
            .exclude(pk=self.pk)
            .filter(shared)
            .annotate(
                shared_score=Count("themes", filter=Q(themes__in=theme_ids), distinct=True)
                + Count("target_groups", filter=Q(target_groups__in=group_ids), distinct=True)
            )
            .order_by("-shared_score", "-first_published_at")
            .only("id", "title", "summary", "url_path", "locale_id", "content_type_id", "path", "depth")[:limit]
        )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        if not getattr(request, "is_preview", False):
            # One query per relation, however many values the practice has. (A preview holds
            # its relations in memory already.)
            prefetch_related_objects([self], *self.PAGE_PREFETCH, "contacts")
            if self.lead_organisation_id:
                self.lead_organisation = Organisation.objects.select_related("type").get(pk=self.lead_organisation_id)
        context["translated_from"] = self.translated_from()
        context["public_contacts"] = self.public_contacts()
        context["related_practices"] = list(self.related_practices())
        return context
