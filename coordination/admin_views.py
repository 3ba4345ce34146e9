"""Admin: proposals (listing, details, one-click conversion to a draft), the report of practices due
for review, and the dashboard panels. Everything is limited to the regions the user covers
(``scope.user_scope``): a coordinator's own regions; every region for national editors."""

import datetime

import django_filters
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column, DateColumn, LocaleColumn, TitleColumn
from wagtail.admin.views.generic import DeleteView, EditView, IndexView, InspectView
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.views.generic.usage import UsageView
from wagtail.admin.views.reports import ReportView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies.base import BasePermissionPolicy

from practices.models import PracticePage, Region, RegionPage

from .conversion import AlreadyConverted, convert_to_draft
from .forms import NATIONAL_CHOICE
from .models import Proposal
from .scope import (
    REVIEW_INTERVAL_MONTHS,
    SCOPE_ROLES,
    below,
    pages_in_review,
    region_pages_by_path,
    stale_practices,
    user_scope,
    with_region_page_path,
)

RECENT_DAYS = 30
LIST_LIMIT = 10


def cached_scope(user):
    """The user's scope, computed once per request (the request's user object)."""
    if not hasattr(user, "_coordination_scope"):
        user._coordination_scope = user_scope(user)
    return user._coordination_scope


def region_key(region) -> str:
    return region.code if region is not None else NATIONAL_CHOICE


def region_label(region) -> str:
    return region.label if region is not None else _("National")


# Proposals -----------------------------------------------------------------------------------------


class ProposalPermissionPolicy(BasePermissionPolicy):
    """Coordinators see and handle their regions' proposals, national editors and superusers all.
    Nobody adds one in the admin: proposals come from the public form."""

    ACTIONS = {"view", "change", "delete"}

    def user_has_permission(self, user, action):
        return action in self.ACTIONS and not cached_scope(user).is_empty

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action) and cached_scope(user).covers(instance.region_page.region_id)

    def instances_user_has_any_permission_for(self, user, actions):
        if not self.user_has_any_permission(user, actions):
            return Proposal.objects.none()
        return Proposal.objects.filter(cached_scope(user).region_filter("region_page__region"))

    def users_with_any_permission(self, actions):
        if not self.ACTIONS.intersection(actions):
            return get_user_model().objects.none()
        return get_user_model().objects.filter(
            Q(is_superuser=True) | Q(groups__editorial__role__in=SCOPE_ROLES), is_active=True
        ).distinct()


def visible_proposals(user):
    return Proposal.objects.filter(cached_scope(user).region_filter("region_page__region"))


class ScopedObjectMixin:
    """Every view of one proposal (inspect, edit, delete, history, usage) refuses another region's:
    even its title is the proposer's unpublished work."""

    def get_object(self, queryset=None):
        proposal = get_object_or_404(Proposal.objects.select_related("region_page"), pk=self.kwargs[self.pk_url_kwarg])
        if not cached_scope(self.request.user).covers(proposal.region_page.region_id):
            raise PermissionDenied
        return proposal


class ProposalIndexView(IndexView):
    def get_base_queryset(self):
        return visible_proposals(self.request.user).select_related("region_page__region")


class ProposalInspectView(ScopedObjectMixin, InspectView):
    template_name = "coordination/admin/proposal_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        proposal = self.object
        context["proposal"] = proposal
        context["themes"] = [theme.label for theme in proposal.themes.all()]
        context["target_groups"] = [group.label for group in proposal.target_groups.all()]
        context["can_convert"] = proposal.status != Proposal.Status.CONVERTED and can_convert(
            self.request.user, proposal
        )
        return context


class ProposalEditView(ScopedObjectMixin, EditView):
    pass


class ProposalDeleteView(ScopedObjectMixin, DeleteView):
    pass


class ProposalHistoryView(ScopedObjectMixin, HistoryView):
    pass


class ProposalUsageView(ScopedObjectMixin, UsageView):
    pass


def can_convert(user, proposal) -> bool:
    """Only who may add practices under the region's page, among those who see the proposal."""
    if not cached_scope(user).covers(proposal.region_page.region_id):
        return False
    return proposal.region_page.permissions_for_user(user).can_add_subpage()


@require_POST
def convert_view(request, pk):
    proposal = get_object_or_404(Proposal.objects.select_related("region_page__region"), pk=pk)
    if not can_convert(request.user, proposal):
        raise PermissionDenied
    try:
        page = convert_to_draft(proposal, request.user)
    except AlreadyConverted:
        messages.error(request, _("This proposal has already been turned into a draft practice."))
        return redirect("proposals:inspect", proposal.pk)
    messages.success(request, _(
        "Draft practice \"%(title)s\" created. Complete it, then submit it for review: nothing is published before review."
    ) % {"title": page.title})
    return redirect("wagtailadmin_pages:edit", page.pk)


class ProposalViewSet(ModelViewSet):
    model = Proposal
    name = "proposals"
    icon = "mail"
    menu_label = gettext_lazy("Proposals")
    menu_order = 250
    add_to_admin_menu = True
    copy_view_enabled = False
    inspect_view_enabled = True
    index_view_class = ProposalIndexView
    inspect_view_class = ProposalInspectView
    edit_view_class = ProposalEditView
    delete_view_class = ProposalDeleteView
    history_view_class = ProposalHistoryView
    usage_view_class = ProposalUsageView
    list_display = [
        TitleColumn("title", label=gettext_lazy("Name of the practice"), url_name="proposals:inspect"),
        "region_page", "organisation_name", "status", DateColumn("created_at", label=gettext_lazy("Received")),
    ]
    list_filter = ["status", "created_at"]
    search_fields = ["title", "organisation_name", "proposer_name", "email"]
    search_backend_name = None
    form_fields = ["status"]
    inspect_view_fields = [
        "title", "summary", "problem", "how_it_works", "region_page", "organisation_name", "proposer_name",
        "email", "phone", "consent_to_contact", "language", "status", "created_at", "converted_page",
    ]

    def get_urlpatterns(self):
        return [*super().get_urlpatterns(), path("convert/<int:pk>/", convert_view, name="convert")]


# Practices due for review -------------------------------------------------------------------------


class StaleFilterSet(WagtailFilterSet):
    region = django_filters.ChoiceFilter(
        label=gettext_lazy("Region"), method="filter_region", empty_label=gettext_lazy("All my regions"),
    )

    class Meta:
        model = PracticePage
        fields = []

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        scope = cached_scope(request.user)
        regions = [None, *Region.objects.order_by("code")] if scope.all_regions else [
            None if pk is None else Region.objects.get(pk=pk) for pk in sorted(scope.region_ids, key=str)
        ]
        self.regions = {region_key(region): region for region in regions if region is None or scope.covers(region.pk)}
        self.filters["region"].extra["choices"] = [(key, region_label(region)) for key, region in self.regions.items()]

    def filter_region(self, queryset, name, value):
        if value not in self.regions:
            return queryset.none()
        region = self.regions[value]
        pages = RegionPage.objects.filter(region=region) if region else RegionPage.objects.filter(region__isnull=True)
        return queryset.filter(below(pages))


class StalePracticesReportView(ReportView):
    page_title = gettext_lazy("Practices due for review")
    header_icon = "time"
    index_url_name = "coordination_stale_practices"
    index_results_url_name = "coordination_stale_practices_results"
    filterset_class = StaleFilterSet
    paginate_by = 50
    list_export = ["title", "region_name", "language", "last_reviewed", "edit_url"]
    export_headings = {
        "title": gettext_lazy("Title"), "region_name": gettext_lazy("Region"),
        "language": gettext_lazy("Language"), "last_reviewed": gettext_lazy("Last reviewed"),
        "edit_url": gettext_lazy("Edit"),
    }
    columns = [
        TitleColumn("title", label=gettext_lazy("Title"), url_name="wagtailadmin_pages:edit"),
        Column("region_name", label=gettext_lazy("Region")),
        LocaleColumn(),
        DateColumn("last_reviewed", label=gettext_lazy("Last reviewed")),
    ]

    def dispatch(self, request, *args, **kwargs):
        if cached_scope(request.user).is_empty:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_base_queryset(self):
        scope = cached_scope(self.request.user)
        self.region_pages = region_pages_by_path(scope)
        queryset = stale_practices()
        if not scope.all_regions:
            queryset = queryset.filter(below(self.region_pages.values()))
        return with_region_page_path(queryset).order_by(F("last_reviewed").asc(nulls_first=True), "title", "pk")

    def decorate_paginated_queryset(self, object_list):
        for page in object_list:
            region_page = self.region_pages.get(page.region_page_path)
            page.region_name = region_label(region_page.region) if region_page else ""
            page.language = page.locale.language_code if region_page is None else region_page.locale.language_code
            page.edit_url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
        return object_list

    def get_queryset(self):
        return super().get_queryset().select_related("locale")


# Dashboard --------------------------------------------------------------------------------------------


def counts_by_region(queryset, region_pages) -> dict:
    """Region id -> number of pages of ``queryset`` under that region's pages (one grouped query)."""
    counts = {}
    rows = with_region_page_path(queryset).values("region_page_path").annotate(n=Count("pk")).order_by()
    for row in rows:
        region_page = region_pages.get(row["region_page_path"])
        if region_page is not None:
            counts[region_page.region_id] = counts.get(region_page.region_id, 0) + row["n"]
    return counts


def recent_since():
    return timezone.now() - datetime.timedelta(days=RECENT_DAYS)


def adoptions_to_review(scope=None) -> dict:
    """Region id -> adoption reports waiting for review (one grouped query). An adoption's region is
    the adopting municipality's: never national."""
    from adoptions.models import Adoption  # adoptions import this module's permission policy

    reports = Adoption.objects.filter(status=Adoption.Status.NEW)
    if scope is not None:
        reports = reports.filter(scope.region_filter())
    return dict(reports.values_list("region").annotate(n=Count("pk")).order_by())


def region_numbers(region, in_review_counts, stale_counts, proposal_counts, adoption_counts) -> dict:
    """One region's row of the dashboard panels: its key, label, counts and stale-practices report."""
    region_id = region.pk if region else None
    return {
        "key": region_key(region),
        "label": region_label(region),
        "in_review": in_review_counts.get(region_id, 0),
        "stale": stale_counts.get(region_id, 0),
        "proposals": proposal_counts.get(region_id, 0),
        "adoptions": adoption_counts.get(region_id, 0),
        "report_url": reverse("coordination_stale_practices") + f"?region={region_key(region)}",
    }


ADOPTIONS_TO_REVIEW_QUERY = "?status=new"


class RegionQueuePanel(Component):
    """A coordinator's regions: pages in review, practices due for review, recent proposals."""

    name = "coordination_region_queue"
    template_name = "coordination/admin/panel_region_queue.html"
    order = 50

    def __init__(self, scope):
        self.scope = scope

    def get_context_data(self, parent_context):
        region_pages = region_pages_by_path(self.scope)
        regions = {page.region_id: page.region for page in region_pages.values()}
        in_review = pages_in_review().filter(below(region_pages.values()))
        in_review_counts = counts_by_region(in_review, region_pages)
        stale_counts = counts_by_region(stale_practices(), region_pages)
        proposals = (
            Proposal.objects.filter(self.scope.region_filter("region_page__region"), created_at__gte=recent_since())
            .select_related("region_page")
        )
        proposal_counts = dict(
            proposals.values_list("region_page__region").annotate(n=Count("pk")).order_by()
        )
        review_list = list(with_region_page_path(in_review).order_by("-latest_revision_created_at")[:LIST_LIMIT])
        proposal_list = list(proposals.order_by("-created_at")[:LIST_LIMIT])
        adoption_counts = adoptions_to_review(self.scope)
        rows = []
        for region_id, region in sorted(regions.items(), key=lambda item: (item[1] is not None, str(item[1]))):
            rows.append({
                **region_numbers(region, in_review_counts, stale_counts, proposal_counts, adoption_counts),
                "review_list": [
                    page for page in review_list
                    if region_pages.get(page.region_page_path) and region_pages[page.region_page_path].region_id == region_id
                ],
                "proposal_list": [proposal for proposal in proposal_list if proposal.region_page.region_id == region_id],
            })
        return {"rows": rows, "recent_days": RECENT_DAYS, "review_months": REVIEW_INTERVAL_MONTHS,
                "proposals_url": reverse("proposals:index"),
                "adoptions_url": reverse("adoptions:index") + ADOPTIONS_TO_REVIEW_QUERY}


class NationalOverviewPanel(Component):
    """Every region's numbers in one small table, for national editors."""

    name = "coordination_national_overview"
    template_name = "coordination/admin/panel_national_overview.html"
    order = 50

    def get_context_data(self, parent_context):
        region_pages = region_pages_by_path()
        in_review_counts = counts_by_region(pages_in_review(), region_pages)
        stale_counts = counts_by_region(stale_practices(), region_pages)
        proposal_counts = dict(
            Proposal.objects.filter(created_at__gte=recent_since())
            .values_list("region_page__region").annotate(n=Count("pk")).order_by()
        )
        adoption_counts = adoptions_to_review()
        rows = [region_numbers(region, in_review_counts, stale_counts, proposal_counts, adoption_counts)
                for region in [*Region.objects.order_by("code"), None]]
        totals = {name: sum(row[name] for row in rows) for name in ("in_review", "stale", "proposals", "adoptions")}
        return {
            "rows": rows, "totals": totals, "recent_days": RECENT_DAYS, "review_months": REVIEW_INTERVAL_MONTHS,
            "report_url": reverse("coordination_stale_practices"), "proposals_url": reverse("proposals:index"),
            "adoptions_url": reverse("adoptions:index") + ADOPTIONS_TO_REVIEW_QUERY,
        }


def dashboard_panels(request, panels):
    scope = cached_scope(request.user)
    if scope.all_regions:
        panels.append(NationalOverviewPanel())
    elif not scope.is_empty:
        panels.append(RegionQueuePanel(scope))

