"""Language-prefixed routes (/fi/…, /sv/…, /en/…)."""

from django.urls import path

from . import views

urlpatterns = [
    path("programme/", views.programme, name="programme"),
    path("programme/<slug:key>.<slug:fmt>", views.programme_table, name="programme_table"),
]
