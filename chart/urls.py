from django.urls import path

from chart import views

app_name = "chart"

urlpatterns = [
    path("<int:patient_id>/", views.chart, name="chart"),
    path("<int:patient_id>/encounters/", views.start_encounter, name="start_encounter"),
    path("<int:patient_id>/allergies/", views.record_allergy, name="record_allergy"),
    path("encounters/<int:encounter_id>/vitals/", views.record_vitals, name="record_vitals"),
    path("encounters/<int:encounter_id>/diagnoses/", views.record_diagnosis, name="record_diagnosis"),
    path("encounters/<int:encounter_id>/prescriptions/", views.prescribe, name="prescribe"),
    path("encounters/<int:encounter_id>/lab-results/", views.record_lab_result, name="record_lab_result"),
    path("encounters/<int:encounter_id>/close/", views.close_encounter, name="close_encounter"),
]
