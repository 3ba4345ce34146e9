from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.UploadView.as_view(), name="upload"),
    path("<str:name>", views.download, name="download"),
    path("<int:pk>/", views.ReportView.as_view(), name="report"),
    path("<int:pk>/run/", views.run, name="run"),
    path("<int:pk>/progress/", views.ProgressView.as_view(), name="progress"),
]
