from django.urls import path

from fhir_api import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.MetadataView.as_view(), name="metadata"),
    path("Patient/<str:ident>/$everything", views.EverythingView.as_view(), name="everything"),
    path("<str:resource_type>", views.TypeView.as_view(), name="type"),
    path("<str:resource_type>/<str:ident>", views.InstanceView.as_view(), name="instance"),
]
