from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "clinical"

    def ready(self):
        from clinical.models import Icd10Code, Patient
        from core import audit

        # The ICD-10-CM list is reference data, loaded by a migration: not audited.
        audit.register_app(self, patient=("patient_id", "encounter.patient_id"), exclude=(Icd10Code.__name__,))
        audit.register(Patient, patient=("pk",))
        audit.register_patient_lookup(lambda mrn: Patient.objects.filter(mrn__iexact=mrn).values_list("pk", flat=True))
