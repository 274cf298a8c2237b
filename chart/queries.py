"""The patient chart's read model: one patient's record composed from the clinical, pharmacy and billing
queries (each reads where the router sends it)."""

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.queries import patient_open_balance
from clinical import queries as clinical
from pharmacy.queries import current_medications
from scheduling.queries import upcoming_appointments

RECENT_ENCOUNTERS = 10


def patient_summary(*, patient_id: int) -> dict | None:
    """Demographics, the problem list, allergies and what is known about them, current medications (with
    their state: prescribed, partly dispensed, dispensed), last encounters, open balance, upcoming
    appointments."""
    patient = clinical.patients().filter(pk=patient_id).first()
    if patient is None:
        return None
    return {
        "patient": patient,
        "problems": list(clinical.problem_list(patient_id=patient_id)),
        "allergy_status": clinical.allergy_status(patient_id=patient_id),
        "allergies": list(clinical.allergies().filter(patient_id=patient_id)),
        "current_medications": current_medications(patient_id=patient_id),
        "recent_encounters": list(clinical.encounters().filter(patient_id=patient_id)[:RECENT_ENCOUNTERS]),
        "open_balance": patient_open_balance(patient_id=patient_id),
        "upcoming_appointments": upcoming_appointments(patient_id=patient_id),
    }


def discharge_summary(*, admission_id: int) -> dict | None:
    """What the patient leaves with: the stay (dates, beds), this encounter's diagnoses, the problem list
    (unresolved diagnoses from every encounter), medications on discharge, allergies, the follow-up."""
    from inpatient.queries import admissions, bed_history

    admission = admissions().filter(pk=admission_id).first()
    if admission is None:
        return None
    patient_id = admission.patient_id
    stay = list(clinical.diagnoses().filter(encounter_id=admission.encounter_id).order_by("-is_primary", "recorded_at"))
    problems = [
        d
        for d in clinical.diagnoses()
        .filter(encounter__patient_id=patient_id, resolved_at__isnull=True)
        .order_by("code")
        if d.encounter_id != admission.encounter_id
    ]
    return {
        "admission": admission,
        "patient": admission.patient,
        "encounter": admission.encounter,
        "beds": [a for a in bed_history(admission_id=admission.pk) if not a.cancelled],
        "diagnoses": stay,
        "problems": problems,
        "medications": current_medications(patient_id=patient_id),
        "allergies": list(clinical.allergies().filter(patient_id=patient_id)),
    }


# --- the chart's tabs and visits ------------------------------------------------------------------------------

FLOWSHEET_ROWS = 100  # the latest sets of vitals shown (and drawn)
VISITS = 100
VITAL_SIGNS = (  # (field, label, unit) in the flowsheet's order
    ("pulse", _("Pulse"), "/min"),
    ("systolic", _("Systolic"), "mmHg"),
    ("diastolic", _("Diastolic"), "mmHg"),
    ("temperature", _("Temperature"), "°C"),
    ("spo2", _("SpO₂"), "%"),
    ("respiratory_rate", _("Resp. rate"), "/min"),
    ("weight", _("Weight"), "kg"),
)
# The trend charts: which signs share a chart (their scales are alike).
VITAL_CHARTS = (
    ("pulse-bp", _("Pulse and blood pressure"), ("pulse", "systolic", "diastolic")),
    ("spo2-rr", _("SpO₂ and respiratory rate"), ("spo2", "respiratory_rate")),
    ("temperature", _("Temperature"), ("temperature",)),
)
COLOURS = ("#0b5cad", "#b3261e", "#2e8540", "#7b3fa0", "#e6a700")


def _number(value):
    return None if value is None else float(value)


def _dataset(label, values, color: str, *, dashed: bool = False) -> dict:
    return {"label": str(label), "data": [_number(v) for v in values], "color": color, "dashed": dashed}


def _line_chart(key: str, title: str, labels: list[str], datasets: list[dict]) -> dict:
    """A trend chart as static/js/chart-record.js draws it (the same numbers are in the page's tables)."""
    return {"id": key, "title": title, "type": "line", "labels": labels, "datasets": datasets}


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def with_readings(vitals):
    """Each set of vitals with `readings`: (label, unit, value) in the flowsheet's order, for templates."""
    for v in vitals:
        v.readings = [(label, unit, getattr(v, name)) for name, label, unit in VITAL_SIGNS]
    return vitals


def vitals_flowsheet(*, patient_id: int) -> dict:
    """The patient's vital signs, newest first (every encounter), and the trend charts' data (oldest first)."""
    rows = with_readings(
        list(
            clinical.vitals()
            .select_related("recorded_by")
            .filter(encounter__patient_id=patient_id)
            .order_by("-recorded_at", "-id")[:FLOWSHEET_ROWS]
        )
    )
    labels = {name: f"{label} ({unit})" for name, label, unit in VITAL_SIGNS}
    oldest_first = rows[::-1]
    charts = [
        _line_chart(
            f"vitals-{key}",
            str(title),
            [_when(v.recorded_at) for v in oldest_first],
            [
                _dataset(labels[name], [getattr(v, name) for v in oldest_first], COLOURS[i])
                for i, name in enumerate(names)
            ],
        )
        for key, title, names in VITAL_CHARTS
        if any(getattr(v, name) is not None for v in rows for name in names)
    ]
    return {"rows": rows, "signs": VITAL_SIGNS, "charts": charts if len(rows) > 1 else []}


def lab_trends(*, patient_id: int) -> list[dict]:
    """The patient's lab results test by test (the test's latest result first; tests by name), each with its
    trend chart when it has two results or more."""
    by_test: dict[str, dict] = {}
    for result in clinical.lab_results().filter(patient_id=patient_id).order_by("test_name", "-resulted_at", "-id"):
        test = by_test.setdefault(
            result.test_code,
            {"code": result.test_code, "name": result.test_name, "unit": result.unit, "results": []},
        )
        test["results"].append(result)
    tests = list(by_test.values())
    for test in tests:
        oldest_first = test["results"][::-1]
        test["latest"] = test["results"][0]
        datasets = [_dataset(test["name"], [r.value for r in oldest_first], COLOURS[0])]
        for end, label in (("reference_low", _("Low end of range")), ("reference_high", _("High end of range"))):
            if any(getattr(r, end) is not None for r in oldest_first):
                datasets.append(_dataset(label, [getattr(r, end) for r in oldest_first], "#9aa7b5", dashed=True))
        test["chart"] = (
            _line_chart(
                f"lab-{test['code']}",
                f"{test['name']} ({test['unit']})",
                [_when(r.resulted_at) for r in oldest_first],
                datasets,
            )
            if len(oldest_first) > 1
            else None
        )
    return tests


def visits(*, patient_id: int) -> list:
    """The patient's encounters, newest first, each with how much was recorded on it."""
    return list(
        clinical.encounters()
        .filter(patient_id=patient_id)
        .annotate(
            note_count=Count("notes", distinct=True),
            diagnosis_count=Count("diagnoses", distinct=True),
            vitals_count=Count("vitals", distinct=True),
        )[:VISITS]
    )


# What a visit holds, and the permission that lets one see it (the rest is neither read nor audited).
VISIT_PARTS = {
    "vitals": "clinical.view_vitals",
    "diagnoses": "clinical.view_diagnosis",
    "notes": "clinical.view_clinicalnote",
    "prescriptions": "pharmacy.view_prescription",
    "lab_results": "clinical.view_labresult",
}


def visit(*, encounter_id: int, parts=VISIT_PARTS) -> dict | None:
    """One encounter as a record: its vitals, diagnoses, notes (each with the note that amends it, as
    `amended_by`), orders and lab results; only the `parts` named (those the reader may see)."""
    from pharmacy.queries import prescriptions

    encounter = clinical.encounters().select_related("patient").filter(pk=encounter_id).first()
    if encounter is None:
        return None
    record = {"encounter": encounter, "patient": encounter.patient, "signs": VITAL_SIGNS}
    record["notes"] = (
        list(clinical.notes().filter(encounter_id=encounter_id).order_by("created_at", "id"))
        if "notes" in parts
        else []
    )
    amended = {n.amends_id: n for n in record["notes"] if n.amends_id}
    for note in record["notes"]:
        note.amended_by = amended.get(note.pk)
    record["vitals"] = (
        with_readings(
            list(
                clinical.vitals()
                .select_related("recorded_by")
                .filter(encounter_id=encounter_id)
                .order_by("recorded_at")
            )
        )
        if "vitals" in parts
        else []
    )
    record["diagnoses"] = list(clinical.diagnoses().filter(encounter_id=encounter_id)) if "diagnoses" in parts else []
    record["prescriptions"] = (
        list(prescriptions().filter(encounter_id=encounter_id).order_by("prescribed_at"))
        if "prescriptions" in parts
        else []
    )
    record["lab_results"] = (
        list(clinical.lab_results().filter(encounter_id=encounter_id).order_by("resulted_at"))
        if "lab_results" in parts
        else []
    )
    return record


def banner_location(*, patient_id: int, open_encounters: list) -> str:
    """Where the patient is now: their ward and bed when admitted, else the department of an open visit."""
    from inpatient.queries import current_admission

    admission = current_admission(patient_id=patient_id)
    if admission is not None and (bed := admission.current_assignment) is not None:
        return f"{bed.bed.ward.name}, {_('bed')} {bed.bed.label}"
    if open_encounters:
        return ", ".join(sorted({e.department.name for e in open_encounters}))
    return ""
