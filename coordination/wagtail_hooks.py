from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.permissions import register_permission_policy

from . import admin_views
from .models import Proposal

register_permission_policy(Proposal, admin_views.ProposalPermissionPolicy(Proposal))


@hooks.register("register_admin_viewset")
def register_proposals():
    return admin_views.ProposalViewSet()


@hooks.register("register_admin_urls")
def register_report_urls():
    view = admin_views.StalePracticesReportView
    return [
        path("stale-practices/", view.as_view(), name="coordination_stale_practices"),
        path("stale-practices/results/", view.as_view(results_only=True), name="coordination_stale_practices_results"),
    ]


class StalePracticesMenuItem(MenuItem):
    def is_shown(self, request):
        return not admin_views.cached_scope(request.user).is_empty


@hooks.register("register_reports_menu_item")
def register_stale_practices_menu_item():
    return StalePracticesMenuItem(
        _("Practices due for review"), reverse("coordination_stale_practices"),
        name="stale-practices", icon_name="time", order=150,
    )


hooks.register("construct_homepage_panels", admin_views.dashboard_panels)
