"""Bulk Data $export end to end with a real worker: kick-off, progress, manifest, NDJSON files whose line
counts equal the database's, `_since`, cancel, who may ask and who may fetch, the audit trail."""

import datetime as dt
import json
import time
from decimal import Decimal
from urllib.parse import urlsplit

from fhir.resources import construct_fhir_element

from clinical import commands as clinical
from clinical.models import Condition, Diagnosis, LabResult, Patient, Vitals
from core.audit.models import AuditEvent
from fhir_api.models import BulkExport
from tests.support import data
from tests.support.factories.clinical import EncounterFactory, PatientFactory
from tests.support.stack import on_stack, wait_until

pytestmark = on_stack
FHIR = "/fhir/R4"
ASYNC = {"HTTP_PREFER": "respond-async"}
SIGNS = ("pulse", "systolic", "temperature", "spo2", "respiratory_rate", "weight")  # one resource each (bp: one)


def kick_off(client, path: str = "$export", **params):
    response = client.get(f"{FHIR}/{path}", params, **ASYNC)
    assert response.status_code == 202, response.content[:500]
    return urlsplit(response["Content-Location"]).path


def finished(client, status_url: str) -> dict:
    seen = []

    def done():
        response = client.get(status_url)
        seen.append(response.status_code)
        if response.status_code == 202:
            assert response["X-Progress"].endswith(")") and "%" in response["X-Progress"]
        return response if response.status_code == 200 else None

    response = wait_until(done, timeout=60, message="the export to finish")
    return response.json()


def lines(client, url: str) -> list[dict]:
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200 and response["Content-Type"] == "application/fhir+ndjson"
    text = b"".join(response.streaming_content).decode()
    return [json.loads(line) for line in text.splitlines()]


def vital_sign_resources() -> int:
    count = 0
    for vitals in Vitals.objects.all():
        count += sum(getattr(vitals, f) is not None for f in SIGNS if f != "systolic")
        count += vitals.systolic is not None or vitals.diastolic is not None
    return count


def test_a_system_export_writes_every_resource_once_and_audits_every_patient(celery_worker_process, api_as):
    made = data.one_of_each(family_name="Export", given_name="Everyone", mrn="EXP00001")
    for _ in range(3):
        encounter = EncounterFactory()
        clinical.vitals_record(encounter_id=encounter.pk, pulse=70, systolic=120, diastolic=80)
        clinical.lab_result_record(encounter_id=encounter.pk, test="2823-3", value=Decimal("4.0"))
    admin = api_as("admin")
    status_url = kick_off(admin, _type="Patient,Observation,Condition,Location")
    manifest = finished(admin, status_url)
    assert manifest["requiresAccessToken"] is True and manifest["request"].endswith(
        "_type=Patient%2CObservation%2CCondition%2CLocation"
    )
    by_type = {o["type"]: o for o in manifest["output"]}
    assert set(by_type) == {"Patient", "Observation", "Condition", "Location"}
    expected = {
        "Patient": Patient.objects.count(),
        "Observation": LabResult.objects.count() + vital_sign_resources(),
        "Condition": Condition.objects.count() + Diagnosis.objects.count(),
    }
    for name, count in expected.items():
        resources = lines(admin, by_type[name]["url"])
        assert len(resources) == by_type[name]["count"] == count, name
        assert len({r["id"] for r in resources}) == count
        for resource in resources:
            construct_fhir_element(name, resource)
    exported = set(
        AuditEvent.objects.filter(action="export", model="fhir.bulk-export").values_list("patient_id", flat=True)
    )
    assert exported == set(Patient.objects.values_list("pk", flat=True))
    assert made["patient"].pk in exported
    job = BulkExport.objects.get()
    assert (job.status, job.percent, job.rows_done) == ("done", 100, job.rows_total)


def test_since_exports_only_what_changed_and_patient_level_keeps_to_patients(celery_worker_process, api_as):
    PatientFactory(family_name="Before")
    admin = api_as("admin")
    time.sleep(0.05)
    since = dt.datetime.now(dt.UTC)
    time.sleep(0.05)
    newer = PatientFactory(family_name="After")
    manifest = finished(admin, kick_off(admin, _type="Patient", _since=since.isoformat()))
    [patients] = manifest["output"]
    assert [r["id"] for r in lines(admin, patients["url"])] == [str(newer.pk)]
    manifest = finished(admin, kick_off(admin, "Patient/$export"))
    compartment = {"Patient", "Encounter", "Condition", "AllergyIntolerance", "Observation", "MedicationRequest"}
    assert {o["type"] for o in manifest["output"]} <= compartment | {"MedicationDispense"}
    refused = admin.get(f"{FHIR}/Patient/$export", {"_type": "Location"}, **ASYNC)
    assert refused.status_code == 400


def test_a_cancelled_export_stops_and_leaves_no_files(celery_worker_process, api_as, settings):
    settings.FHIR_EXPORT_CHUNK = 1  # the worker checks for a cancel between chunks: give it many
    for _ in range(40):
        PatientFactory()
    admin = api_as("admin")
    status_url = kick_off(admin, _type="Patient")
    cancelled = admin.delete(status_url)
    assert cancelled.status_code == 202
    wait_until(lambda: BulkExport.objects.get().status == "cancelled", message="the cancel")
    assert admin.get(status_url).status_code == 404
    folder = settings.FHIR_EXPORT_DIR / status_url.rsplit("/", 1)[1]
    wait_until(lambda: not folder.exists(), message="the files to go")


def test_only_admins_export_and_only_the_asker_fetches(celery_worker_process, api_as):
    PatientFactory()
    clinician, admin, other_admin = api_as("clinician"), api_as("admin"), api_as("admin")
    refused = clinician.get(f"{FHIR}/$export", **ASYNC)
    assert refused.status_code == 403 and refused.json()["resourceType"] == "OperationOutcome"
    assert admin.get(f"{FHIR}/$export").status_code == 400  # no Prefer: respond-async
    assert admin.get(f"{FHIR}/$export", {"_type": "Spaceship"}, **ASYNC).status_code == 400
    status_url = kick_off(admin, _type="Patient")
    manifest = finished(admin, status_url)
    assert other_admin.get(status_url).status_code == 404
    assert other_admin.get(urlsplit(manifest["output"][0]["url"]).path).status_code == 404
    assert not BulkExport.objects.filter(status="running").exists()
