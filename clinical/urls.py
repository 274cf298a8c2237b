from django.urls import path

from clinical import views

app_name = "clinical"

urlpatterns = [
    path("new/", views.register, name="register"),
    path("icd10/", views.icd10_lookup, name="icd10"),
]
