from rest_framework.routers import DefaultRouter

from billing import api as billing
from clinical import api as clinical

router = DefaultRouter(trailing_slash=True)
router.register("patients", clinical.PatientViewSet, basename="patient")
router.register("departments", clinical.DepartmentViewSet, basename="department")
router.register("icd10", clinical.Icd10ViewSet, basename="icd10")
router.register("encounters", clinical.EncounterViewSet, basename="encounter")
router.register("diagnoses", clinical.DiagnosisViewSet, basename="diagnosis")
router.register("allergies", clinical.AllergyViewSet, basename="allergy")
router.register("vitals", clinical.VitalsViewSet, basename="vitals")
router.register("payers", billing.PayerViewSet, basename="payer")
router.register("services", billing.ServiceViewSet, basename="service")
router.register("invoices", billing.InvoiceViewSet, basename="invoice")
router.register("payments", billing.PaymentViewSet, basename="payment")

urlpatterns = router.urls
