"""The public "Programme at a glance" page (/<lang>/programme/), the admin's insights view and the
CSV/XLSX download of every figure's table (opendata.tabular)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from coordination.scope import user_scope
from opendata.tabular import FORMATS, table_response

from .charts import render_chart
from .figures import admin_figures, public_figures


def can_view_admin_insights(user) -> bool:
    """National editors and superusers: the users whose scope is every region (by role, never group name)."""
    return user_scope(user).all_regions


def _with_charts(figures):
    return [(figure, render_chart(figure)) for figure in figures]


def programme(request):
    language = get_language()
    return render(request, "insights/programme.html", {"figures": _with_charts(public_figures(language))})


def figure_table(figures, key: str, fmt: str, language: str):
    """The download of one figure's table; an unknown figure or format is a 404."""
    figure = next((figure for figure in figures if figure.key == key), None)
    if figure is None or fmt not in FORMATS:
        raise Http404("No such table or format.")
    header, rows = figure.table()
    return table_response(fmt, f"kb-{figure.key}-{language}", header, rows, sheet_title=figure.title)


def programme_table(request, key: str, fmt: str):
    language = get_language()
    return figure_table(public_figures(language), key, fmt, language)


class AdminInsightsView(WagtailAdminTemplateMixin, TemplateView):
    page_title = _("Programme insights")
    header_icon = "table"
    template_name = "insights/admin_insights.html"

    def dispatch(self, request, *args, **kwargs):
        if not can_view_admin_insights(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "figures": _with_charts(admin_figures(get_language()))}


def admin_table(request, key: str, fmt: str):
    if not can_view_admin_insights(request.user):
        raise PermissionDenied
    language = get_language()
    return figure_table(admin_figures(language), key, fmt, language)
