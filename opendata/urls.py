"""Language-prefixed routes (/fi/…, /sv/…, /en/…)."""

from django.urls import path, re_path

from . import views

urlpatterns = [
    # The search page's parameters, every matching practice: /fi/search/export.csv?theme=language
    re_path(r"^search/export\.(?P<fmt>csv|xlsx)$", views.search_export, name="search_export"),
    path("open-data/", views.open_data_page, name="open_data"),
]
