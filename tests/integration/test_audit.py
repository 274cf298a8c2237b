"""The audit trail: reads and writes of patient data are recorded (who, what, when, where, which request),
the table is append-only down to the database, and the admin shows and exports it."""

import csv
import io

import pytest
from django.core.management.color import no_style
from django.db import DatabaseError, connections, transaction
from django.test import Client

from clinical.models import Patient
from core.audit.models import AppendOnlyError, AuditEvent
from tests.support.factories.clinical import EncounterFactory, PatientFactory, UserFactory
from tests.support.stack import on_stack, served_by, sign_in, wait_replayed

pytestmark = pytest.mark.django_db

NEW_PATIENT = {"given_name": "Ines", "family_name": "Duarte", "date_of_birth": "1979-04-02", "confirm_new": True}


def events(**filters):
    return list(AuditEvent.objects.using("default").filter(**filters).order_by("id"))


def test_an_api_client_reading_a_patient_is_recorded_with_who_where_and_which_request(api_as):
    patient = PatientFactory()
    api = api_as("clinician")

    response = api.get(f"/api/v1/patients/{patient.pk}/", HTTP_X_REQUEST_ID="req-42", REMOTE_ADDR="10.1.2.3")

    assert response.status_code == 200 and response["X-Request-ID"] == "req-42"
    [event] = events(action="view")
    assert (event.model, event.object_id, event.patient_id) == ("clinical.patient", str(patient.pk), patient.pk)
    assert event.api_client.startswith("it-clinician") and event.username == f"api:{event.api_client}"
    assert (event.ip, event.request_id, event.path) == ("10.1.2.3", "req-42", f"/api/v1/patients/{patient.pk}/")
    assert event.at is not None


def test_a_list_records_one_event_per_patient_shown_and_a_bad_request_id_is_replaced(api_as):
    shown = [PatientFactory(family_name=f"Listed{i}") for i in range(3)]
    response = api_as("nurse").get("/api/v1/patients/", HTTP_X_REQUEST_ID="<script>")
    assert response.status_code == 200
    assert sorted(e.patient_id for e in events(action="list")) == sorted(p.pk for p in shown)
    assert response["X-Request-ID"] != "<script>" and len(response["X-Request-ID"]) == 32


def test_reads_of_related_records_name_their_patient(api_as):
    encounter = EncounterFactory()
    api = api_as("clinician")
    api.get(f"/api/v1/encounters/{encounter.pk}/")
    api.get("/api/v1/encounters/")
    api.get(f"/api/v1/patients/{encounter.patient_id}/summary/")
    assert [(e.action, e.model, e.patient_id) for e in events(action__in=["view", "list"])] == [
        ("view", "clinical.encounter", encounter.patient_id),
        ("list", "clinical.encounter", encounter.patient_id),
        ("view", "clinical.patient", encounter.patient_id),
    ]


def test_the_chart_page_search_page_and_a_csv_export_are_recorded(client):
    patient = PatientFactory(family_name="Charted")
    user = UserFactory(roles=["clinician", "report_viewer"])
    client.force_login(user)
    assert client.get(f"/patients/{patient.pk}/").status_code == 200
    assert client.get("/patients/", {"q": "Charted"}).status_code == 200
    export = client.get("/reports/diagnosis-trends/", {"format": "csv"})
    b"".join(export.streaming_content)
    recorded = [(e.action, e.model, e.patient_id, e.username) for e in events(action__in=["view", "list", "export"])]
    assert recorded == [
        ("view", "clinical.patient", patient.pk, user.username),
        ("list", "clinical.patient", patient.pk, user.username),
        ("export", "reports.diagnosis-trends", None, user.username),
    ]


def test_a_write_is_recorded_in_its_transaction_and_a_refused_one_is_not(api_as):
    api = api_as("front_desk")
    created = api.post("/api/v1/patients/", NEW_PATIENT, format="json")
    refused = api.post("/api/v1/patients/", {**NEW_PATIENT, "date_of_birth": "2999-01-01"}, format="json")
    assert (created.status_code, refused.status_code) == (201, 400)
    [event] = events(action="create", model="clinical.patient")
    assert event.patient_id == created.json()["id"] and event.api_client.startswith("it-front_desk")
    assert event.request_id == created["X-Request-ID"]


def test_writes_outside_a_request_are_recorded_as_the_system():
    patient = PatientFactory()
    [event] = events(model="clinical.patient", action="create")
    assert (event.patient_id, event.username, event.request_id, event.ip) == (patient.pk, "", "", None)


def test_audit_events_cannot_be_changed_or_deleted_by_the_app_or_in_the_database():
    PatientFactory()
    event = events()[0]
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(username="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    for sql in ("UPDATE hmis_auditevent SET username = 'forged'", "DELETE FROM hmis_auditevent"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            connections["default"].cursor().execute(sql)
    assert AuditEvent.objects.get(pk=event.pk).username == event.username


def test_the_test_suites_flush_still_empties_it_while_a_plain_truncate_fails():
    PatientFactory()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        connections["default"].cursor().execute("TRUNCATE hmis_auditevent")
    connection = connections["default"]
    with transaction.atomic():
        with connection.cursor() as cursor:  # what a transactional test's teardown runs (core/routing/primary)
            for sql in connection.ops.sql_flush(no_style(), ["hmis_auditevent"]):
                cursor.execute(sql)
        assert not AuditEvent.objects.exists()
        transaction.set_rollback(True)


def test_the_admin_filters_by_patient_user_action_and_date_and_exports_csv(client):
    mine, other = PatientFactory(mrn="AUD0001"), PatientFactory()
    reader = UserFactory(username="nosy", roles=["clinician"])
    reader_client = Client()
    reader_client.force_login(reader)
    reader_client.get(f"/patients/{mine.pk}/")
    reader_client.get(f"/patients/{other.pk}/")
    officer = UserFactory(username="privacy", is_staff=True, roles=["admin"])
    client.force_login(officer)

    by_mrn = client.get("/admin/hmis/auditevent/", {"patient": "AUD0001", "who": "nosy", "action__exact": "view"})
    assert by_mrn.status_code == 200
    assert list(by_mrn.context["cl"].result_list.values_list("patient_id", flat=True)) == [mine.pk]
    assert client.get("/admin/hmis/auditevent/", {"at__year": "2000"}).context["cl"].result_count == 0

    export = client.get("/admin/hmis/auditevent/export/", {"patient": str(mine.pk), "action__exact": "view"})
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert [(r["username"], r["action"], r["patient_id"]) for r in rows] == [("nosy", "view", str(mine.pk))]

    event = events()[0]
    assert client.get(f"/admin/hmis/auditevent/{event.pk}/change/").status_code == 200  # read-only view
    assert client.post(f"/admin/hmis/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/hmis/auditevent/add/").status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_opening_a_patient_in_the_admin_is_recorded(client):
    patient = PatientFactory()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert client.get(f"/admin/clinical/patient/{patient.pk}/change/").status_code == 200
    assert [(e.action, e.username) for e in events(action="view", patient_id=patient.pk)] == [("view", "root")]


def test_staff_without_the_admin_role_cannot_see_the_audit_trail(client):
    client.force_login(UserFactory(is_staff=True, roles=["clinician"]))
    assert client.get("/admin/hmis/auditevent/").status_code == 403
    assert client.get("/admin/hmis/auditevent/export/").status_code == 403


@on_stack
def test_reports_that_name_patients_record_each_patient_shown(api_as, client):
    from reports.engine import refresh
    from tests.support.factories.billing import issued_invoice

    shown = {issued_invoice("12.00").patient_id, issued_invoice("30.00").patient_id}
    for name in ("ar_aging", "ar_ledger", "ar_ledger_recent"):  # by patient or invoice: the ledger
        refresh.refresh(name)
    api = api_as("billing_clerk")
    sign_in(client, UserFactory(roles=["billing_clerk"]))
    assert api.get("/api/v1/reports/ar-aging/", {"group_by": "patient"}).status_code == 200
    assert client.get("/reports/ar-aging/", {"group_by": "invoice"}).status_code == 200
    assert api.get("/api/v1/reports/ar-aging/", {"group_by": "payer"}).status_code == 200  # names no patient
    recorded = events(model="reports.ar-aging", action="list")
    assert {e.patient_id for e in recorded} == shown and len(recorded) == 4
    assert {bool(e.api_client) for e in recorded} == {True, False}


@on_stack
def test_a_read_served_by_a_standby_writes_its_event_on_the_primary_and_stays_on_the_standby(client, caplog):
    patient = Patient.objects.create(mrn="STB1", given_name="A", family_name="B", date_of_birth="1990-01-01")
    sign_in(client, UserFactory(roles=["clinician"]))
    caplog.set_level("INFO", logger="hmis.request")

    first = client.get(f"/api/v1/patients/{patient.pk}/")
    second = client.get(f"/api/v1/patients/{patient.pk}/")

    assert first.status_code == second.status_code == 200
    # The audit insert did not make the client a writer: no read-your-writes cookie, reads stay on standbys.
    assert "hmis_lsn" not in first.cookies
    served = served_by(caplog, f"/api/v1/patients/{patient.pk}/")
    assert served.get("default", 0) == 0, served
    assert AuditEvent.objects.using("default").filter(action="view", patient_id=patient.pk).count() == 2
    wait_replayed()


@on_stack
def test_a_reads_events_commit_locally_while_a_writes_wait_for_the_standby(api_as):
    """Decision 13: a read's events do not wait a replication round trip; a write's stay in its transaction."""
    patient = PatientFactory()
    api = api_as("clinician")
    wait_replayed()
    statements = []

    def capture(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connections["default"].execute_wrapper(capture):
        assert api.get(f"/api/v1/patients/{patient.pk}/").status_code == 200
    local = [i for i, sql in enumerate(statements) if "synchronous_commit TO local" in sql]
    inserts = [i for i, sql in enumerate(statements) if sql.startswith('INSERT INTO "hmis_auditevent"')]
    assert len(local) == 1 and len(inserts) == 1 and local[0] < inserts[0]
    statements.clear()
    with connections["default"].execute_wrapper(capture):
        assert api.post("/api/v1/patients/", NEW_PATIENT, format="json").status_code == 201
    assert not [sql for sql in statements if "synchronous_commit" in sql]
    assert [sql for sql in statements if sql.startswith('INSERT INTO "hmis_auditevent"')]
    assert events(action="view", patient_id=patient.pk)
