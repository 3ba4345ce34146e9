"""Language-prefixed routes (/fi/…, /sv/…, /en/…)."""

from django.urls import path

from . import views

urlpatterns = [
    path("alerts/subscribe/", views.subscribe, name="alerts_subscribe"),
    path("alerts/subscribe/sent/", views.subscribed, name="alerts_subscribed"),
    path("alerts/confirm/<str:token>/", views.confirm, name="alerts_confirm"),
    path("alerts/unsubscribe/<str:token>/", views.unsubscribe, name="alerts_unsubscribe"),
]
