from django.urls import path

from . import views

urlpatterns = [
    path("propose/", views.propose, name="propose"),
    path("propose/thanks/", views.thanks, name="proposal_thanks"),
]
