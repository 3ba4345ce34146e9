"""Admin: the coordinators' review of adoption reports. Everything is limited to the reports of the
regions the user covers (coordination.scope: a coordinator's own regions; all for national editors
and superusers); another region's report is refused, even its inspect page (personal data)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail.admin.ui.tables import DateColumn, TitleColumn
from wagtail.admin.views.generic import DeleteView, EditView, IndexView, InspectView
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.views.generic.usage import UsageView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.log_actions import log

from coordination.admin_views import ProposalPermissionPolicy, cached_scope
from coordination.emails import send_all
from coordination.scope import coordinators_of

from .emails import approval_messages
from .forms import AdoptionAdminForm
from .models import Adoption

LOG_ACTIONS = {
    Adoption.Status.APPROVED: "kb.adoption.approve",
    Adoption.Status.REJECTED: "kb.adoption.reject",
}


class AdoptionPermissionPolicy(ProposalPermissionPolicy):
    """As proposals: coordinators of the adoption's region, national editors and superusers; nobody
    adds one in the admin (they come from the public form)."""

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action) and cached_scope(user).covers(instance.region_id)

    def instances_user_has_any_permission_for(self, user, actions):
        if not self.user_has_any_permission(user, actions):
            return Adoption.objects.none()
        return visible_adoptions(user)


def visible_adoptions(user):
    return Adoption.objects.filter(cached_scope(user).region_filter("region"))


def scoped_adoption(user, pk, lock=False) -> Adoption:
    adoptions = Adoption.objects.select_related("practice", "region")
    if lock:  # two reviewers at once: the second sees the first's status, and nobody is told twice
        adoptions = adoptions.select_for_update(of=("self",))
    adoption = get_object_or_404(adoptions, pk=pk)
    if not cached_scope(user).covers(adoption.region_id):
        raise PermissionDenied
    return adoption


def practice_region(practice):
    """The region of the practice's own region page (None: a national practice)."""
    return practice.get_parent().specific.region


def reviewed(adoption, user, previous_status):
    """After a change of status: store it with who reviewed it and when, write a log entry, and on
    approval email each coordinator of the practice's own region (queued in the caller's transaction)."""
    if adoption.status == previous_status:
        return
    adoption.reviewed_by, adoption.reviewed_at = user, timezone.now()
    adoption.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    if adoption.status in LOG_ACTIONS:
        log(adoption, LOG_ACTIONS[adoption.status], user=user)
    if adoption.status == Adoption.Status.APPROVED:
        region = practice_region(adoption.practice)
        send_all(approval_messages(adoption, list(coordinators_of(region)), region))


class ScopedObjectMixin:
    def get_object(self, queryset=None):
        return scoped_adoption(self.request.user, self.kwargs[self.pk_url_kwarg])


class AdoptionIndexView(IndexView):
    def get_base_queryset(self):
        return visible_adoptions(self.request.user).select_related("practice", "region")

    def order_queryset(self, queryset):
        if "ordering" in self.request.GET:  # a column the user sorted by
            return super().order_queryset(queryset)
        waiting_first = Case(When(status=Adoption.Status.NEW, then=Value(0)), default=Value(1),
                             output_field=IntegerField())
        return queryset.order_by(waiting_first, "-created_at", "-pk")


class AdoptionInspectView(ScopedObjectMixin, InspectView):
    template_name = "adoptions/admin/inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["adoption"] = self.object
        return context


class AdoptionEditView(ScopedObjectMixin, EditView):
    def save_instance(self):
        previous_status = self.form.initial.get("status")
        adoption = super().save_instance()
        reviewed(adoption, self.request.user, previous_status)
        return adoption


class AdoptionDeleteView(ScopedObjectMixin, DeleteView):
    pass


class AdoptionHistoryView(ScopedObjectMixin, HistoryView):
    pass


class AdoptionUsageView(ScopedObjectMixin, UsageView):
    pass


def _review_view(status, message):
    @require_POST
    def view(request, pk):
        with transaction.atomic():
            adoption = scoped_adoption(request.user, pk, lock=True)
            previous_status = adoption.status
            adoption.status = status
            reviewed(adoption, request.user, previous_status)
        messages.success(request, message() % {"organisation": adoption.organisation_name})
        return redirect("adoptions:inspect", adoption.pk)
    return view


approve_view = _review_view(Adoption.Status.APPROVED, lambda: _("Adoption by %(organisation)s approved."))
reject_view = _review_view(Adoption.Status.REJECTED, lambda: _("Adoption by %(organisation)s rejected."))


class AdoptionViewSet(ModelViewSet):
    model = Adoption
    name = "adoptions"
    icon = "group"
    menu_label = gettext_lazy("Adoptions")
    menu_order = 260
    add_to_admin_menu = True
    copy_view_enabled = False
    inspect_view_enabled = True
    index_view_class = AdoptionIndexView
    inspect_view_class = AdoptionInspectView
    edit_view_class = AdoptionEditView
    delete_view_class = AdoptionDeleteView
    history_view_class = AdoptionHistoryView
    usage_view_class = AdoptionUsageView
    list_display = [
        TitleColumn("organisation_name", label=gettext_lazy("Adopting organisation"), url_name="adoptions:inspect"),
        "practice", "municipality_name", "region", "status", DateColumn("created_at", label=gettext_lazy("Received")),
    ]
    list_filter = ["status"]
    search_fields = ["organisation_name", "contact_name", "contact_email"]
    search_backend_name = None
    inspect_view_fields = [
        "practice", "organisation_name", "municipality_name", "region", "since_year", "since_month",
        "changes_fi", "changes_sv", "changes_en", "language", "contact_name", "contact_email", "contact_phone",
        "publish_contact", "status", "created_at", "reviewed_by", "reviewed_at",
    ]

    def get_form_class(self, for_update=False):
        return AdoptionAdminForm

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("approve/<int:pk>/", approve_view, name="approve"),
            path("reject/<int:pk>/", reject_view, name="reject"),
        ]
