"""The integrators' API (/api/v1/): every app's resources on one router, and the reports."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from billing import api as billing
from chart import api as chart
from clinical import api as clinical
from inpatient import api as inpatient
from pharmacy import api as pharmacy
from reports import api as reports
from reports.catalog import REPORTS
from scheduling import api as scheduling

router = DefaultRouter(trailing_slash=True)
router.register("patients", chart.PatientViewSet, basename="patient")
router.register("departments", clinical.DepartmentViewSet, basename="department")
router.register("icd10", clinical.Icd10ViewSet, basename="icd10")
router.register("encounters", clinical.EncounterViewSet, basename="encounter")
router.register("diagnoses", clinical.DiagnosisViewSet, basename="diagnosis")
router.register("allergies", clinical.AllergyViewSet, basename="allergy")
router.register("allergens", clinical.AllergenViewSet, basename="allergen")
router.register("allergy-statements", clinical.AllergyStatementViewSet, basename="allergystatement")
router.register("conditions", clinical.ConditionViewSet, basename="condition")
router.register("vitals", clinical.VitalsViewSet, basename="vitals")
router.register("lab-results", clinical.LabResultViewSet, basename="labresult")
router.register("notes", clinical.NoteViewSet, basename="note")
router.register("payers", billing.PayerViewSet, basename="payer")
router.register("services", billing.ServiceViewSet, basename="service")
router.register("invoices", billing.InvoiceViewSet, basename="invoice")
router.register("payments", billing.PaymentViewSet, basename="payment")
router.register("drugs", pharmacy.DrugViewSet, basename="drug")
router.register("stock-batches", pharmacy.StockBatchViewSet, basename="stockbatch")
router.register("prescriptions", pharmacy.PrescriptionViewSet, basename="prescription")
router.register("dispenses", pharmacy.DispenseViewSet, basename="dispense")
router.register("wards", inpatient.WardViewSet, basename="ward")
router.register("beds", inpatient.BedViewSet, basename="bed")
router.register("admissions", inpatient.AdmissionViewSet, basename="admission")
router.register("admission-requests", inpatient.AdmissionRequestViewSet, basename="admissionrequest")
router.register("schedules", scheduling.ScheduleViewSet, basename="schedule")
router.register("schedule-exceptions", scheduling.ScheduleExceptionViewSet, basename="scheduleexception")
router.register("slots", scheduling.SlotViewSet, basename="slot")
router.register("appointments", scheduling.AppointmentViewSet, basename="appointment")
router.register("queue", scheduling.QueueViewSet, basename="queueentry")

# The chart's routes beside the patient resource: GET /patients/{id}/summary/ and /alerts/.
patient_chart = [
    path(f"patients/<pk>/{name}/", chart.PatientChartViewSet.as_view({"get": name}), name=f"patient-{name}")
    for name in ("summary", "alerts")
]

urlpatterns = [
    *patient_chart,
    # Before the router's queue/{id}/: the department's board, from its projection.
    path("queue/board/", reports.QueueBoardView.as_view(), name="queue-board"),
    path("reports/dashboard/", reports.DashboardView.as_view(), name="report-dashboard"),
    path("reports/performance-test/", reports.PerformanceTestView.as_view(), name="report-performance-test"),
    *(path(f"reports/{slug}/", reports.report_view(slug), name=f"report-{slug}") for slug in REPORTS),
    *router.urls,
]
