"""Admin: the outgoing email queue, read-only, for those with the view permission (superusers), with
"Retry now" for emails that are waiting or have failed (change permission)."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.generic import IndexView, InspectView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies.base import BasePermissionPolicy

from . import delivery
from .models import OutgoingEmail


class OutgoingEmailPermissionPolicy(BasePermissionPolicy):
    """Only "view" and "retry": nobody adds, edits or deletes a queued email in the admin."""

    PERMISSIONS = {"view": "view_outgoingemail", "retry": "change_outgoingemail"}

    def user_has_permission(self, user, action):
        codename = self.PERMISSIONS.get(action)
        return codename is not None and user.is_active and user.has_perm(f"mailqueue.{codename}")

    def users_with_any_permission(self, actions):
        codenames = [self.PERMISSIONS[action] for action in actions if action in self.PERMISSIONS]
        if not codenames:
            return get_user_model().objects.none()
        permissions = Permission.objects.filter(content_type__app_label="mailqueue", codename__in=codenames)
        return get_user_model().objects.filter(
            Q(is_superuser=True) | Q(user_permissions__in=permissions) | Q(groups__permissions__in=permissions),
            is_active=True,
        ).distinct()


class OutgoingEmailIndexView(IndexView):
    def get_base_queryset(self):
        return OutgoingEmail.objects.defer("message")


class OutgoingEmailInspectView(InspectView):
    template_name = "mailqueue/inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_retry"] = self.object.status != OutgoingEmail.Status.SENT and self.permission_policy.user_has_permission(
            self.request.user, "retry"
        )
        return context


@require_POST
def retry_view(request, pk):
    if not OutgoingEmailViewSet.permission_policy.user_has_permission(request.user, "retry"):
        raise PermissionDenied
    row = get_object_or_404(OutgoingEmail, pk=pk)
    if row.status == OutgoingEmail.Status.SENT:
        messages.error(request, _("This email has already been sent."))
    else:
        delivery.retry_now(row)
        messages.success(request, _("The email is being sent again. Check its status in a moment."))
    return redirect("outgoing_email:inspect", pk)


class OutgoingEmailViewSet(ModelViewSet):
    model = OutgoingEmail
    name = "outgoing_email"
    icon = "mail"
    menu_label = gettext_lazy("Outgoing email")
    add_to_settings_menu = True
    copy_view_enabled = False
    inspect_view_enabled = True
    permission_policy = OutgoingEmailPermissionPolicy(OutgoingEmail)
    index_view_class = OutgoingEmailIndexView
    inspect_view_class = OutgoingEmailInspectView
    list_display = [
        TitleColumn("subject", label=gettext_lazy("Subject"), url_name="outgoing_email:inspect"),
        Column("recipients", label=gettext_lazy("Recipients")),
        "status",
        "attempts",
        DateColumn("created_at", label=gettext_lazy("Queued at")),
        DateColumn("next_attempt_at", label=gettext_lazy("Next attempt")),
        Column("last_error", label=gettext_lazy("Last error")),
    ]
    list_filter = ["status"]
    search_fields = ["subject", "recipients"]
    search_backend_name = None
    form_fields = []  # never used: the policy grants neither add nor change
    inspect_view_fields = [
        "subject", "recipients", "status", "attempts", "created_at", "next_attempt_at", "sent_at", "last_error",
    ]

    def get_urlpatterns(self):
        return [*super().get_urlpatterns(), path("retry/<int:pk>/", retry_view, name="retry")]
