"""Language-prefixed routes (/fi/…, /sv/…, /en/…)."""

from django.urls import path

from . import views

app_name = "feeds"
urlpatterns = [
    path("feeds/practices/", views.practices_feed, name="practices"),
    path("feeds/regions/<str:code>/", views.region_feed, name="region"),
    path("feeds/themes/<str:code>/", views.theme_feed, name="theme"),
    path("search/feed/", views.search_feed, name="search"),
]
