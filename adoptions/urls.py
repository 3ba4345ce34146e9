from django.urls import path

from . import views

urlpatterns = [
    path("adopt/<int:practice_id>/", views.report, name="adoption_report"),
    path("adopt/thanks/", views.thanks, name="adoption_thanks"),
]
