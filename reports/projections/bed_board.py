"""The bed board: every bed of every open ward with its status and who is in it (or held for), and the
admission queue per ward. Kept key by key (one row per bed): an admission or transfer recomputes its beds
only. Its Redis summary holds the board ready to send, one JSON text per ward, so the board page and its
polling endpoint read one hash (reports/queries/beds.py); the alerts count of each patient is added when
read, from the patient-alerts projection.

"Days" (since admission, by calendar date) change at midnight: the summary is rebuilt then.
"""

import json

from django.utils import timezone

from reports.projections.base import CHANGES, SUMMARY, DashboardFields, Increment, Projection, View, rows

INPATIENT_CHANGES = (
    "inpatient.bed",
    "inpatient.bedassignment",
    "inpatient.admission",
    "inpatient.ward",
    "inpatient.admissionrequest",
    "clinical.patient",
)

_BEDS = """
SELECT b.id AS bed_id, b.ward_id, w.code AS ward_code, w.name AS ward_name, w.sex_policy, b.label, b.status,
       b.status_changed_at, b.note, a.id AS admission_id, a.encounter_id, a.patient_id,
       p.family_name || ', ' || p.given_name AS patient_name, p.mrn, p.sex, p.date_of_birth, a.admitted_at,
       a.discharge_ordered_at, b.reserved_for_id AS reserved_request_id,
       rp.family_name || ', ' || rp.given_name AS reserved_for_name
FROM inpatient_bed b
JOIN inpatient_ward w ON w.id = b.ward_id
LEFT JOIN inpatient_bedassignment ba ON ba.bed_id = b.id AND ba.ended_at IS NULL AND NOT ba.cancelled
LEFT JOIN inpatient_admission a ON a.id = ba.admission_id
LEFT JOIN clinical_patient p ON p.id = a.patient_id
LEFT JOIN inpatient_admissionrequest rq ON rq.id = b.reserved_for_id
LEFT JOIN clinical_patient rp ON rp.id = rq.patient_id
WHERE w.active{only}
"""

BEDS = View(
    name="reports_bed_board",
    select=_BEDS.replace("{only}", ""),
    unique=("bed_id",),
    indexes=(("ward_id",), ("patient_id",)),
    increment=Increment(
        key=(("bed_id", "bigint"),),
        sources=INPATIENT_CHANGES,
        # The beds a change touches: the bed; an assignment's bed; the bed an admission is in; a ward's
        # beds; the beds held for a request; the bed a renamed patient lies in.
        touched=f"""{CHANGES}
SELECT id FROM changes WHERE source = 'inpatient.bed'
UNION SELECT ba.bed_id FROM changes c JOIN inpatient_bedassignment ba ON ba.id = c.id
WHERE c.source = 'inpatient.bedassignment'
UNION SELECT ba.bed_id FROM changes c JOIN inpatient_bedassignment ba ON ba.admission_id = c.id
WHERE c.source = 'inpatient.admission' AND ba.ended_at IS NULL AND NOT ba.cancelled
UNION SELECT b.id FROM changes c JOIN inpatient_bed b ON b.ward_id = c.id WHERE c.source = 'inpatient.ward'
UNION SELECT b.id FROM changes c JOIN inpatient_bed b ON b.reserved_for_id = c.id
WHERE c.source = 'inpatient.admissionrequest'
UNION SELECT v.bed_id FROM changes c JOIN reports_bed_board v ON v.patient_id = c.id
WHERE c.source = 'clinical.patient'""",
        select=_BEDS.replace("{only}", " AND b.id IN {touched}"),
    ),
)

QUEUE = View(
    name="reports_admission_queue",
    # Ward 0: requests for any ward.
    select="""
SELECT COALESCE(r.ward_id, 0) AS ward_id, count(*) AS waiting, count(*) FILTER (WHERE r.priority = 'urgent') AS urgent,
       min(r.requested_at) AS oldest
FROM inpatient_admissionrequest r
WHERE r.status = 'waiting'
GROUP BY COALESCE(r.ward_id, 0)
""",
    unique=("ward_id",),
)

STATUSES = ("free", "occupied", "reserved", "cleaning", "out_of_service")
# Natural order of labels: "2" before "10".
BOARD_ORDER = "ward_name, ward_id, length(label), label, bed_id"


def days_in(admitted_at, today) -> int:
    """Days since admission by calendar date (admitted today: 0), in the hospital's time zone."""
    return (today - timezone.localtime(admitted_at).date()).days


def bed_entry(row: dict, today) -> dict:
    """One bed as the board shows it (short keys: the whole hospital's board is one answer)."""
    entry = {"id": row["bed_id"], "label": row["label"], "status": row["status"]}
    if row["status_changed_at"]:
        entry["since"] = row["status_changed_at"].isoformat()
    if row["note"]:
        entry["note"] = row["note"]
    if row["admission_id"]:
        entry.update(
            admission=row["admission_id"],
            encounter=row["encounter_id"],
            patient=row["patient_id"],
            name=row["patient_name"],
            mrn=row["mrn"],
            sex=row["sex"],
            born=row["date_of_birth"].isoformat(),
            admitted_at=row["admitted_at"].isoformat(),
            days=days_in(row["admitted_at"], today),
            discharge_ordered=row["discharge_ordered_at"] is not None,
        )
    if row["reserved_request_id"]:
        entry.update(reserved_request=row["reserved_request_id"], reserved_for=row["reserved_for_name"])
    return entry


def board(cursor, *, ward_id: int | None = None) -> list[dict]:
    """The board from the views: [{id, code, name, sex_policy, counts, waiting, urgent, beds: [...]}] per ward."""
    today = timezone.localdate()
    where, params = ("WHERE ward_id = %(ward)s", {"ward": ward_id}) if ward_id else ("", {})
    wards: dict[int, dict] = {}
    for row in rows(cursor, f"SELECT * FROM {BEDS.name} {where} ORDER BY {BOARD_ORDER}", params):
        ward = wards.setdefault(
            row["ward_id"],
            {
                "id": row["ward_id"],
                "code": row["ward_code"],
                "name": row["ward_name"],
                "sex_policy": row["sex_policy"],
                "counts": dict.fromkeys(STATUSES, 0),
                "waiting": 0,
                "urgent": 0,
                "beds": [],
            },
        )
        ward["counts"][row["status"]] += 1
        ward["beds"].append(bed_entry(row, today))
    for row in rows(cursor, f"SELECT ward_id, waiting, urgent FROM {QUEUE.name}"):
        if row["ward_id"] in wards:
            wards[row["ward_id"]].update(waiting=int(row["waiting"]), urgent=int(row["urgent"]))
    return list(wards.values())


def queue_totals(cursor) -> dict:
    (found,) = rows(
        cursor, f"SELECT COALESCE(sum(waiting), 0) AS waiting, COALESCE(sum(urgent), 0) AS urgent FROM {QUEUE.name}"
    )
    return {"waiting": int(found["waiting"]), "urgent": int(found["urgent"])}


def totals(wards: list[dict], queue: dict) -> dict:
    """Hospital-wide: beds by status, in service (all but out of service), occupancy % of those, queue."""
    counts = {status: sum(w["counts"][status] for w in wards) for status in STATUSES}
    in_service = sum(counts.values()) - counts["out_of_service"]
    occupancy = round(100 * counts["occupied"] / in_service, 1) if in_service else None
    return {"beds": sum(counts.values()), "in_service": in_service, **counts, "occupancy": occupancy, **queue}


class BedBoard(Projection):
    def build_summary(self, cursor) -> dict[str, dict]:
        wards = board(cursor)
        summary = totals(wards, queue_totals(cursor))
        summary["occupancy"] = "" if summary["occupancy"] is None else summary["occupancy"]
        return {
            # One JSON text per ward, in board order (the field names sort as the wards do).
            "board": {f"{i:05d}:{w['id']}": json.dumps(w, separators=(",", ":")) for i, w in enumerate(wards)},
            "summary": summary,
        }


def _dashboard(found) -> dict[str, str]:
    summary = found["summary"]
    return {
        "beds_occupied": summary.get("occupied", "0"),
        "beds_in_service": summary.get("in_service", "0"),
        "admission_queue": summary.get("waiting", "0"),
    }


def _wanted(source: str, instance, update_fields, created=False) -> bool:
    """A new patient lies in no bed yet; only changes to one who may (their name, MRN) concern the board."""
    return not (source == "clinical.patient" and created)


PROJECTION = BedBoard(
    name="bed_board",
    title="Bed board",
    views=(BEDS, QUEUE),
    sources=(
        "inpatient.Bed",
        "inpatient.BedAssignment",
        "inpatient.Admission",
        "inpatient.Ward",
        "inpatient.AdmissionRequest",
        "clinical.Patient",
    ),
    wants=_wanted,
    calendar=SUMMARY,  # days since admission
    live=True,  # watched on every ward: refreshed by the live worker
    dashboard=DashboardFields(_dashboard),
)
