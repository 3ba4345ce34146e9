from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import views


@hooks.register("register_admin_urls")
def register_insights_urls():
    return [
        path("programme-insights/", views.AdminInsightsView.as_view(), name="insights_admin"),
        path("programme-insights/<slug:key>.<slug:fmt>", views.admin_table, name="insights_admin_table"),
    ]


class InsightsMenuItem(MenuItem):
    def is_shown(self, request):
        return views.can_view_admin_insights(request.user)


@hooks.register("register_reports_menu_item")
def register_insights_menu_item():
    return InsightsMenuItem(_("Programme insights"), reverse("insights_admin"), name="programme-insights",
                            icon_name="table", order=160)
