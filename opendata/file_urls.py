"""/open-data/…: the open data dump's files, without a language prefix (each file carries its language)."""

from django.urls import path

from . import views

urlpatterns = [
    path("<str:name>", views.open_data_file, name="open_data_file"),
]
