from django.urls import path

from chart import views

app_name = "chart"

urlpatterns = [
    path("", views.search, name="search"),
    path("<int:patient_id>/details/", views.edit_details, name="edit_details"),
    path("<int:patient_id>/", views.chart, name="chart"),
    path("<int:patient_id>/encounters/", views.start_encounter, name="start_encounter"),
    path("<int:patient_id>/allergies/", views.record_allergy, name="record_allergy"),
    path("<int:patient_id>/allergy-status/", views.record_allergy_statement, name="record_allergy_statement"),
    path("allergies/<int:allergy_id>/verification/", views.verify_allergy, name="verify_allergy"),
    path("<int:patient_id>/problems/", views.record_condition, name="record_condition"),
    path("problems/<int:condition_id>/resolve/", views.resolve_condition, name="resolve_condition"),
    path("prescriptions/<int:prescription_id>/stop/", views.stop_medication, name="stop_medication"),
    path("encounters/<int:encounter_id>/vitals/", views.record_vitals, name="record_vitals"),
    path("encounters/<int:encounter_id>/diagnoses/", views.record_diagnosis, name="record_diagnosis"),
    path("encounters/<int:encounter_id>/prescriptions/", views.prescribe, name="prescribe"),
    path("encounters/<int:encounter_id>/lab-results/", views.record_lab_result, name="record_lab_result"),
    path("encounters/<int:encounter_id>/close/", views.close_encounter, name="close_encounter"),
    path("encounters/<int:encounter_id>/notes/", views.write_note, name="write_note"),
    path("notes/<int:note_id>/", views.edit_note, name="edit_note"),
    path("notes/<int:note_id>/sign/", views.sign_note, name="sign_note"),
    path("notes/<int:note_id>/amend/", views.amend_note, name="amend_note"),
    path("visits/<int:encounter_id>/", views.visit_page, name="visit"),
    path("visits/<int:encounter_id>/print/", views.visit_summary, name="visit_summary"),
    path("admissions/<int:admission_id>/discharge-summary/", views.discharge_summary, name="discharge_summary"),
]
