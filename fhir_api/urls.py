from django.urls import path

from fhir_api import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.MetadataView.as_view(), name="metadata"),
    path("$export", views.ExportView.as_view(), name="export"),
    path("Patient/$export", views.PatientExportView.as_view(), name="patient-export"),
    path("$export-status/<str:export_id>", views.ExportStatusView.as_view(), name="export-status"),
    path("$export-file/<str:export_id>/<str:file_name>", views.ExportFileView.as_view(), name="export-file"),
    path("Patient/<str:ident>/$everything", views.EverythingView.as_view(), name="everything"),
    path("<str:resource_type>", views.TypeView.as_view(), name="type"),
    path("<str:resource_type>/<str:ident>", views.InstanceView.as_view(), name="instance"),
]
