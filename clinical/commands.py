"""Clinical commands: one function per business action, one transaction on the primary."""

import datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from clinical import allergens, lab_tests
from clinical.models import (
    SOAP_TEMPLATE,
    Allergy,
    AllergyStatement,
    ClinicalNote,
    Condition,
    Department,
    Diagnosis,
    Encounter,
    Icd10Code,
    LabResult,
    Patient,
    PatientMerge,
    Vitals,
)
from clinical.queries import clinicians, duplicate_candidates
from core.commands import get_locked, get_or_invalid, lock_or_invalid, save_changes, save_new, validate
from core.errors import Conflict, InvalidInput, NotFound

MRN_SEQUENCE = "clinical_patient_mrn_seq"
UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE
# Results keep arriving after discharge (cultures, send-outs): a closed encounter takes them this long.
LAB_RESULTS_AFTER_DISCHARGE = datetime.timedelta(days=30)
ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "postal_code", "country")
PATIENT_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "phone",
    *ADDRESS_FIELDS,
    "primary_care_provider_id",
    "preferred_language",
)


def _next_mrn() -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [MRN_SEQUENCE])
        return f"MRN{cursor.fetchone()[0]:08d}"


def normalize_icd10(code: str) -> str:
    """'e119' / 'E11.9' / ' E11.9 ' -> 'E11.9' (the list's spelling: a dot after the category)."""
    code = (code or "").strip().upper().replace(".", "")
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 else code


@transaction.atomic(using="default")
def patient_register(
    *,
    given_name: str,
    family_name: str,
    date_of_birth: datetime.date,
    sex: str = Patient.Sex.UNKNOWN,
    phone: str = "",
    mrn: str | None = None,
    confirm_new: bool = True,
    **details,
) -> Patient:
    """Register a patient. `details`: the address fields, primary_care_provider_id, preferred_language.

    With `confirm_new` false (the pages and the API unless told), a person who may be registered already
    (clinical.queries.duplicate_candidates) is not registered again: 409 with the candidates."""
    unknown = set(details) - set(PATIENT_FIELDS)
    if unknown:
        raise InvalidInput(errors={name: ["Unknown field."] for name in sorted(unknown)})
    if not confirm_new and (
        candidates := duplicate_candidates(
            given_name=given_name.strip(), family_name=family_name.strip(), date_of_birth=date_of_birth, phone=phone
        )
    ):
        names = "; ".join(
            f"{c['family_name']}, {c['given_name']} ({c['mrn']}): {', '.join(c['reasons'])}" for c in candidates
        )
        raise Conflict(
            f"This person may be registered already — {names}. Open their record, or register anyway "
            "(confirm a new patient).",
            field="confirm_new",
            extra={"candidates": [_candidate(c) for c in candidates]},
        )
    patient = Patient(
        mrn=(mrn or "").strip().upper() or _next_mrn(),
        given_name=given_name.strip(),
        family_name=family_name.strip(),
        date_of_birth=date_of_birth,
        sex=sex,
        phone=phone.strip(),
    )
    _set_details(patient, details)
    validate(patient)
    return save_new(patient, on_conflict="A patient with this MRN already exists.", field="mrn")


def _candidate(found: dict) -> dict:
    return {
        "id": found["id"],
        "mrn": found["mrn"],
        "given_name": found["given_name"],
        "family_name": found["family_name"],
        "date_of_birth": found["date_of_birth"].isoformat(),
        "reasons": found["reasons"],
    }


# --- merging duplicate records ------------------------------------------------------------------------------


def _patient_references():
    """Every (model, field) that points at a patient, whatever app it is in (found, not named: apps above
    this one hold appointments, admissions, invoices). Encounters carry prescriptions, diagnoses and vitals
    with them."""
    return [
        (relation.related_model, relation.field.name)
        for relation in Patient._meta.get_fields(include_hidden=True)  # hidden too: related_name="+"
        if relation.auto_created
        and not relation.concrete
        and relation.one_to_many
        and relation.related_model not in (Patient, PatientMerge)
    ]


def _defer_checks() -> None:
    """Constraints declared deferrable (a pair of references that must agree, such as an admission's patient
    and its bed assignments') are checked at commit: rows move one at a time, in whichever order."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _check_deferred(what: str) -> None:
    """Check the deferred constraints now, in the command, rather than at commit."""
    try:
        with transaction.atomic(using="default"), connections["default"].cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    except IntegrityError as exc:
        why = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) or "a constraint"
        raise Conflict(f"{what}: rows that must agree would not ({why}). Nothing was merged.") from exc


def _locked_pair(survivor_id: int, duplicate_id: int) -> tuple[Patient, Patient]:
    if int(survivor_id) == int(duplicate_id):
        raise InvalidInput("A record cannot be merged into itself.", field="duplicate")
    found = {
        p.pk: p for p in Patient.objects.select_for_update().filter(pk__in=[survivor_id, duplicate_id]).order_by("pk")
    }
    if int(survivor_id) not in found:
        raise NotFound(f"Patient {survivor_id} does not exist.")
    if int(duplicate_id) not in found:
        raise InvalidInput(f"Patient {duplicate_id} does not exist.", field="duplicate")
    return found[int(survivor_id)], found[int(duplicate_id)]


@transaction.atomic(using="default")
def patient_merge(
    *, survivor_id: int, duplicate_id: int, merged_by: User | None = None, reason: str = ""
) -> PatientMerge:
    """Move every record of the duplicate (encounters with what they hold, allergies, problems, lab results,
    invoices, appointments, admissions...) to the survivor, in one transaction, each row saved as any
    write is (audited, projections follow). A row the survivor already has the like of (the same allergy,
    the same active problem) stays on the duplicate and is listed as kept. The duplicate stays, marked
    merged into the survivor: its MRN finds the survivor. `patient_unmerge` undoes it the same day."""
    survivor, duplicate = _locked_pair(survivor_id, duplicate_id)
    if duplicate.merged_into_id:
        raise Conflict(f"{duplicate} was already merged into patient {duplicate.merged_into_id}.", field="duplicate")
    if survivor.merged_into_id:
        raise Conflict(f"{survivor} was itself merged into patient {survivor.merged_into_id}: merge into that one.")
    moved, kept = {}, {}
    _defer_checks()
    for model, field in _patient_references():
        label = model._meta.label_lower
        for row in model.objects.select_for_update().filter(**{field: duplicate}).order_by("pk"):
            setattr(row, field, survivor)
            try:
                with transaction.atomic(using="default"):
                    row.save(using="default", update_fields=[field])
            except IntegrityError as exc:
                why = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) or "a constraint"
                if getattr(exc.__cause__, "sqlstate", None) != UNIQUE_VIOLATION:
                    # not a like already there but a clash (two stays or appointments at once): no merge
                    raise Conflict(
                        f"{model._meta.verbose_name.capitalize()} {row.pk} of {duplicate} cannot move to {survivor} "
                        f"({why}): both records hold it at the same time. Resolve that first; nothing was merged.",
                        field="duplicate",
                    ) from exc
                kept.setdefault(label, []).append({"id": row.pk, "field": field, "because": why})
                continue
            moved.setdefault(label, {"field": field, "ids": []})["ids"].append(row.pk)
    _check_deferred(f"{duplicate} cannot be merged into {survivor}")
    duplicate.merged_into = survivor
    duplicate.save(using="default")
    survivor.save(using="default")  # what is kept per patient is recomputed for both
    return PatientMerge.objects.using("default").create(
        survivor=survivor, duplicate=duplicate, merged_by=merged_by, reason=reason, moved=moved, kept=kept
    )


@transaction.atomic(using="default")
def patient_unmerge(*, duplicate_id: int, undone_by: User | None = None) -> PatientMerge:
    """Undo the day's merge of this record: the rows that moved go back (those still on the survivor),
    the record is no longer merged. Rows written on the survivor since stay there."""
    merge = (
        PatientMerge.objects.select_for_update()
        .filter(duplicate_id=duplicate_id, undone_at__isnull=True)
        .order_by("-merged_at")
        .first()
    )
    if merge is None:
        raise NotFound(f"Patient {duplicate_id} has no merge to undo.")
    if timezone.localdate(merge.merged_at) != timezone.localdate():
        raise Conflict(
            f"Patient {duplicate_id} was merged on {timezone.localdate(merge.merged_at)}: a merge can be undone only "
            "the same day. Correct the records one by one instead."
        )
    survivor, duplicate = _locked_pair(merge.survivor_id, merge.duplicate_id)
    models_by_label = {model._meta.label_lower: model for model, _ in _patient_references()}
    _defer_checks()
    for label, what in merge.moved.items():
        model, field = models_by_label[label], what["field"]
        for row in model.objects.select_for_update().filter(pk__in=what["ids"], **{field: survivor}).order_by("pk"):
            setattr(row, field, duplicate)
            row.save(using="default", update_fields=[field])
    _check_deferred(f"The merge of {duplicate} cannot be undone")
    duplicate.merged_into = None
    duplicate.save(using="default")
    survivor.save(using="default")
    merge.undone_at, merge.undone_by = timezone.now(), undone_by
    merge.save(using="default", update_fields=["undone_at", "undone_by"])
    return merge


def _set_details(patient: Patient, details: dict) -> None:
    for name, value in details.items():
        if name == "primary_care_provider_id" and value is not None:
            _clinician(value, field="primary_care_provider")
        if isinstance(value, str):
            value = value.strip()
            value = value.upper() if name in ("country", "postal_code") else value
            value = value.lower() if name == "preferred_language" else value
        setattr(patient, name, value)


@transaction.atomic(using="default")
def patient_update(*, patient_id: int, **changes) -> Patient:
    unknown = set(changes) - set(PATIENT_FIELDS)
    if unknown:
        raise InvalidInput(errors={name: ["This field cannot be changed."] for name in sorted(unknown)})
    patient = get_locked(Patient, patient_id)
    _set_details(patient, changes)
    validate(patient)
    patient.save(using="default")
    return patient


def _clinician(user_id: int, *, field: str = "attending") -> User:
    """A clinician (the attending, a primary care provider): a user who holds clinical.attend_encounter
    through a role (queries.clinicians)."""
    user = get_or_invalid(User, user_id, field=field, label="User")
    if not clinicians().filter(pk=user.pk).exists():
        what = field.replace("_", " ")
        raise InvalidInput(
            f"{user.get_full_name() or user.username} is not a clinician: the {what} must be an active "
            "member of staff with the clinician role.",
            field=field,
        )
    return user


@transaction.atomic(using="default")
def encounter_start(
    *,
    patient_id: int,
    type: str,
    department_id: int,
    attending_id: int,
    started_at: datetime.datetime | None = None,
    reason: str = "",
) -> Encounter:
    encounter = Encounter(
        patient=get_or_invalid(Patient, patient_id, field="patient"),
        type=type,
        department=get_or_invalid(Department, department_id, field="department"),
        attending=_clinician(attending_id),
        started_at=started_at or timezone.now(),
        reason=reason,
    )
    if encounter.started_at > timezone.now() + datetime.timedelta(minutes=5):
        raise InvalidInput("An encounter cannot start in the future.", field="started_at")
    validate(encounter)
    encounter.save(using="default")
    return encounter


@transaction.atomic(using="default")
def department_create(*, code: str, name: str) -> Department:
    department = Department(code=code.strip().upper(), name=name.strip())
    validate(department)
    return save_new(department, on_conflict="A department with this code already exists.", field="code")


@transaction.atomic(using="default")
def department_update(*, department_id: int, name: str) -> Department:
    """The name only: the code is how other systems and the reports know the department."""
    return save_changes(get_locked(Department, department_id), {"name": name.strip()}, allowed=("name",))


@transaction.atomic(using="default")
def encounter_update(*, encounter_id: int, **changes) -> Encounter:
    """Correct where and by whom a visit is held, its type or reason. The patient never changes: a visit
    recorded for the wrong patient is closed and recorded again for the right one."""
    encounter = get_locked(Encounter, encounter_id)
    if "department_id" in changes:
        changes["department"] = get_or_invalid(Department, changes.pop("department_id"), field="department")
    if "attending_id" in changes:
        changes["attending"] = _clinician(changes.pop("attending_id"))
    return save_changes(encounter, changes, allowed=("department", "attending", "type", "reason"))


@transaction.atomic(using="default")
def encounter_close(*, encounter_id: int, ended_at: datetime.datetime | None = None) -> Encounter:
    encounter = get_locked(Encounter, encounter_id)
    if encounter.status == Encounter.Status.CLOSED:
        raise Conflict(f"Encounter {encounter.pk} is already closed.")
    ended_at = ended_at or timezone.now()
    if ended_at < encounter.started_at:
        raise InvalidInput("An encounter cannot end before it started.", field="ended_at")
    encounter.status, encounter.ended_at = Encounter.Status.CLOSED, ended_at
    encounter.save(using="default", update_fields=["status", "ended_at"])
    return encounter


def _open_encounter(encounter_id: int) -> Encounter:
    encounter = lock_or_invalid(Encounter, encounter_id, field="encounter")
    if encounter.status != Encounter.Status.OPEN:
        raise Conflict(f"Encounter {encounter.pk} is closed; nothing more can be recorded on it.", field="encounter")
    return encounter


def _icd10(code: str) -> Icd10Code:
    """A billable ICD-10-CM code: a category (J18) is refused with the billable codes under it."""
    icd = Icd10Code.objects.filter(pk=normalize_icd10(code)).first()
    if icd is None:
        raise InvalidInput(f"'{code}' is not an ICD-10-CM code.", field="code")
    if not icd.billable:
        prefix = icd.code if "." in icd.code else f"{icd.code}."
        under = list(
            Icd10Code.objects.filter(code__startswith=prefix, billable=True)
            .order_by("code")
            .values_list("code", flat=True)
        )
        hint = (
            f"; pick a billable code such as {', '.join(under[:6])}{' ...' if len(under) > 6 else ''}" if under else ""
        )
        raise InvalidInput(f"{icd.code} ({icd.description}) is a category, not a billable code{hint}.", field="code")
    return icd


def _confirm_problem(patient_id: int, icd: Icd10Code, *, at: datetime.datetime, by: User | None) -> Condition:
    """The patient's active problem with this code, confirmed by a diagnosis at `at`; a new one if none."""
    problem = Condition.objects.select_for_update().filter(patient_id=patient_id, code=icd, status="active").first()
    if problem is None:
        try:
            with transaction.atomic(using="default"):
                return Condition.objects.create(
                    patient_id=patient_id,
                    code=icd,
                    description=icd.description,
                    onset=timezone.localtime(at).date(),
                    recorded_by=by,
                    last_diagnosed_at=at,
                )
        except IntegrityError:  # recorded at this moment by another diagnosis: confirm that one
            problem = Condition.objects.select_for_update().get(patient_id=patient_id, code=icd, status="active")
    if problem.last_diagnosed_at is None or problem.last_diagnosed_at < at:
        problem.last_diagnosed_at = at
        problem.save(using="default", update_fields=["last_diagnosed_at"])
    return problem


def _check_one_primary(encounter: Encounter, *, besides: int | None = None) -> None:
    # The encounter is locked: "at most one primary" is checked race-free (a partial unique index backs it).
    existing = encounter.diagnoses.filter(is_primary=True).exclude(pk=besides).first()
    if existing:
        raise Conflict(
            f"Encounter {encounter.pk} already has a primary diagnosis ({existing.code_id}).", field="is_primary"
        )


@transaction.atomic(using="default")
def diagnosis_record(
    *, encounter_id: int, code: str, is_primary: bool = False, recorded_by: User | None = None
) -> Diagnosis:
    encounter = _open_encounter(encounter_id)
    icd = _icd10(code)
    if is_primary:
        _check_one_primary(encounter)
    diagnosis = Diagnosis(
        encounter=encounter, code=icd, description=icd.description, is_primary=is_primary, recorded_by=recorded_by
    )
    save_new(diagnosis, on_conflict="This encounter already has a primary diagnosis.", field="is_primary")
    # The problem list: one row per problem, whatever the number of encounters that diagnose it.
    _confirm_problem(encounter.patient_id, icd, at=max(diagnosis.recorded_at, encounter.started_at), by=recorded_by)
    return diagnosis


@transaction.atomic(using="default")
def diagnosis_update(*, diagnosis_id: int, code: str | None = None, is_primary: bool | None = None) -> Diagnosis:
    """Correct a diagnosis' code (its description follows the code) or whether it is the primary one."""
    # Lock the encounter, then the diagnosis: the order diagnosis_record takes.
    encounter_id = Diagnosis.objects.filter(pk=diagnosis_id).values_list("encounter_id", flat=True).first()
    if encounter_id is None:
        raise NotFound(f"Diagnosis {diagnosis_id} does not exist.")
    encounter = _open_encounter(encounter_id)
    diagnosis = get_locked(Diagnosis, diagnosis_id)
    changes = {}
    if code is not None:
        icd = _icd10(code)
        changes |= {"code": icd, "description": icd.description}
        _confirm_problem(encounter.patient_id, icd, at=diagnosis.recorded_at, by=diagnosis.recorded_by)
    if is_primary is not None:
        if is_primary and not diagnosis.is_primary:
            _check_one_primary(encounter, besides=diagnosis.pk)
        changes["is_primary"] = is_primary
    return save_changes(
        diagnosis,
        changes,
        allowed=("code", "description", "is_primary"),
        on_conflict="This encounter already has a primary diagnosis.",
        field="is_primary",
    )


@transaction.atomic(using="default")
def diagnosis_resolve(*, diagnosis_id: int, resolved_at: datetime.datetime | None = None) -> Diagnosis:
    diagnosis = get_locked(Diagnosis, diagnosis_id)
    if diagnosis.resolved_at is not None:
        raise Conflict(f"Diagnosis {diagnosis.pk} is already resolved.")
    diagnosis.resolved_at = resolved_at or timezone.now()
    diagnosis.save(using="default", update_fields=["resolved_at"])
    # The problem is over when its last unresolved diagnosis is: it leaves the problem list too.
    patient_id = diagnosis.encounter.patient_id
    others = Diagnosis.objects.filter(encounter__patient_id=patient_id, code=diagnosis.code, resolved_at__isnull=True)
    problem = (
        Condition.objects.select_for_update()
        .filter(patient_id=patient_id, code=diagnosis.code, status=Condition.Status.ACTIVE)
        .first()
    )
    if problem is not None and not others.exists():
        resolved_on = max(timezone.localtime(diagnosis.resolved_at).date(), problem.onset or datetime.date.min)
        problem.status, problem.resolved_on = Condition.Status.RESOLVED, resolved_on
        problem.save(using="default", update_fields=["status", "resolved_on"])
    return diagnosis


def _allergen(code: str) -> allergens.Allergen:
    allergen = allergens.ALLERGENS.get((code or "").strip())
    if allergen is None:
        raise InvalidInput(
            f"'{code}' is not on the allergen list; choose one, or record it as free text (uncoded).", field="allergen"
        )
    return allergen


def _not_in_future(onset: datetime.date | None) -> None:
    if onset is not None and onset > timezone.localdate():
        raise InvalidInput("An onset cannot be in the future.", field="onset")


def _withdraw_statement_denied_by(allergy: Allergy) -> None:
    """An allergy on record ends a statement that denies it: "no known allergies" always (replaced by "no
    known drug allergies" when the allergy is not to a drug), "no known drug allergies" for a drug allergy."""
    if allergy.verification == Allergy.Verification.REFUTED:
        return
    current = AllergyStatement.objects.select_for_update().filter(patient=allergy.patient, withdrawn_at__isnull=True)
    statement = current.first()
    if statement is None:
        return
    kinds = AllergyStatement.Kind
    if statement.kind == kinds.NO_KNOWN_DRUG_ALLERGIES and allergy.category != Allergy.Category.DRUG:
        return
    statement.withdrawn_at = timezone.now()
    statement.withdrawn_because = f"Allergy to {allergy.substance} recorded"[:200]
    statement.save(using="default", update_fields=["withdrawn_at", "withdrawn_because"])
    if statement.kind == kinds.NO_KNOWN_ALLERGIES and allergy.category != Allergy.Category.DRUG:
        AllergyStatement.objects.create(
            patient=allergy.patient, kind=kinds.NO_KNOWN_DRUG_ALLERGIES, stated_by=statement.stated_by
        )


@transaction.atomic(using="default")
def allergy_record(
    *,
    patient_id: int,
    severity: str,
    allergen: str = "",
    substance: str = "",
    category: str = "",
    reaction: str = "",
    verification: str = Allergy.Verification.UNCONFIRMED,
    onset: datetime.date | None = None,
    recorded_by: User | None = None,
) -> Allergy:
    """Record an allergy against the allergen list (`allergen`, a code), or as free text (`substance`):
    text that names an allergen on the list (a name or a usual synonym: "Penicillin", "sulfa") is coded
    as that allergen; anything else is recorded uncoded (its `category` drug unless said otherwise), shown
    as such, and warns at every prescription. A "no known (drug) allergies" statement it contradicts is
    withdrawn."""
    patient = lock_or_invalid(Patient, patient_id, field="patient")  # serialises with allergy statements
    if allergen:
        found = _allergen(allergen)
    elif (substance or "").strip():
        found = allergens.find(substance)
    else:
        raise InvalidInput("Choose an allergen from the list, or type it as free text.", field="allergen")
    if found:
        substance, category = found.name, found.category
    _not_in_future(onset)
    allergy = Allergy(
        patient=patient,
        allergen_code=found.code if found else "",
        substance=" ".join(substance.split())[:100],
        category=category or Allergy.Category.DRUG,
        severity=severity,
        reaction=(reaction or "").strip(),
        verification=verification,
        onset=onset,
        recorded_by=recorded_by,
    )
    validate(allergy, exclude=["patient"])
    if found and Allergy.objects.filter(patient=patient, allergen_code=found.code).exists():
        raise Conflict(f"An allergy to {found.name} is already recorded for the patient.", field="allergen")
    save_new(allergy, on_conflict="This allergy is already recorded for the patient.", field="substance")
    _withdraw_statement_denied_by(allergy)
    return allergy


@transaction.atomic(using="default")
def allergy_update(*, allergy_id: int, **changes) -> Allergy:
    """Confirm or refute an allergy, correct its reaction, severity or onset; code an uncoded one (`allergen`)."""
    allergy = get_locked(Allergy, allergy_id)
    if "allergen" in changes:
        found = _allergen(changes.pop("allergen"))
        changes |= {"allergen_code": found.code, "substance": found.name, "category": found.category}
    elif "substance" in changes or "category" in changes:
        if allergy.coded:
            raise InvalidInput("A coded allergy is corrected by choosing another allergen.", field="substance")
        if "substance" in changes:
            changes["substance"] = " ".join(changes["substance"].split())[:100]
    _not_in_future(changes.get("onset"))
    save_changes(
        allergy,
        changes,
        allowed=("allergen_code", "substance", "category", "reaction", "severity", "verification", "onset"),
        on_conflict="This allergy is already recorded for the patient.",
        field="substance",
    )
    if {"verification", "allergen_code", "category"} & set(changes):
        _withdraw_statement_denied_by(allergy)
    return allergy


@transaction.atomic(using="default")
def allergy_statement_record(*, patient_id: int, kind: str, stated_by: User | None = None) -> AllergyStatement:
    """The patient was asked and has no known drug allergies (or none at all). Refused while an allergy it
    denies is on record (refute that first); replaces the patient's current statement."""
    patient = lock_or_invalid(Patient, patient_id, field="patient")
    if kind not in AllergyStatement.Kind.values:
        raise InvalidInput(f"Choose one of: {', '.join(AllergyStatement.Kind.values)}.", field="kind")
    denied = Allergy.objects.filter(patient=patient).exclude(verification=Allergy.Verification.REFUTED)
    if kind == AllergyStatement.Kind.NO_KNOWN_DRUG_ALLERGIES:
        denied = denied.filter(category=Allergy.Category.DRUG)
    if denied.exists():
        names = ", ".join(a.substance for a in denied[:5])
        raise Conflict(f"Allergies are on record ({names}); refute them first if they are wrong.", field="kind")
    AllergyStatement.objects.filter(patient=patient, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now(), withdrawn_because="Replaced by a new statement"
    )
    return AllergyStatement.objects.create(patient=patient, kind=kind, stated_by=stated_by)


@transaction.atomic(using="default")
def condition_record(
    *, patient_id: int, code: str, onset: datetime.date | None = None, recorded_by: User | None = None
) -> Condition:
    """Add a problem to the patient's problem list (a billable ICD-10-CM code), without an encounter."""
    patient = get_or_invalid(Patient, patient_id, field="patient")
    icd = _icd10(code)
    _not_in_future(onset)
    if Condition.objects.filter(patient=patient, code=icd, status=Condition.Status.ACTIVE).exists():
        raise Conflict(f"{icd.code} {icd.description} is already on the problem list.", field="code")
    problem = Condition(patient=patient, code=icd, description=icd.description, onset=onset, recorded_by=recorded_by)
    validate(problem)
    return save_new(problem, on_conflict="This problem is already on the patient's problem list.", field="code")


PROBLEMS_FROM_DIAGNOSES = """
INSERT INTO clinical_condition (patient_id, icd10_code, description, status, onset, recorded_at, last_diagnosed_at)
SELECT e.patient_id, d.icd10_code, max(d.description), 'active', min(d.recorded_at)::date, min(d.recorded_at),
       max(d.recorded_at)
FROM clinical_diagnosis d
JOIN clinical_encounter e ON e.id = d.encounter_id
WHERE d.resolved_at IS NULL AND NOT EXISTS (
    SELECT 1 FROM clinical_condition c
    WHERE c.patient_id = e.patient_id AND c.icd10_code = d.icd10_code AND c.status = 'active'
)
GROUP BY e.patient_id, d.icd10_code
ORDER BY e.patient_id, d.icd10_code
"""


@transaction.atomic(using="default")
def problem_list_from_diagnoses() -> int:
    """For bulk loads (generate_data), which write diagnoses with COPY: one active problem per patient and
    code of the unresolved diagnoses not already on the list. One statement: no signals, like the load."""
    with connections["default"].cursor() as cursor:
        cursor.execute(PROBLEMS_FROM_DIAGNOSES)
        return cursor.rowcount


@transaction.atomic(using="default")
def condition_resolve(*, condition_id: int, resolved_on: datetime.date | None = None) -> Condition:
    """The problem is over: it leaves the active problem list (and stays on record as resolved)."""
    problem = get_locked(Condition, condition_id)
    if problem.status == Condition.Status.RESOLVED:
        raise Conflict(f"{problem.code_id} was already resolved on {problem.resolved_on}.")
    resolved_on = resolved_on or timezone.localdate()
    _not_in_future(resolved_on)
    if problem.onset and resolved_on < problem.onset:
        raise InvalidInput("A problem cannot be resolved before its onset.", field="resolved_on")
    problem.status, problem.resolved_on = Condition.Status.RESOLVED, resolved_on
    problem.save(using="default", update_fields=["status", "resolved_on"])
    return problem


@transaction.atomic(using="default")
def vitals_record(*, encounter_id: int, recorded_by: User | None = None, **measurements) -> Vitals:
    vitals = Vitals(encounter=_open_encounter(encounter_id), recorded_by=recorded_by, **measurements)
    validate(vitals)
    vitals.save(using="default")
    return vitals


def _encounter_taking_results(encounter_id: int, now: datetime.datetime) -> Encounter:
    encounter = Encounter.objects.select_for_update().filter(pk=encounter_id).first()  # serialises with closing
    if encounter is None:
        raise InvalidInput(f"Encounter {encounter_id} does not exist.", field="encounter")
    if encounter.status == Encounter.Status.CLOSED and encounter.ended_at < now - LAB_RESULTS_AFTER_DISCHARGE:
        raise Conflict(
            f"Encounter {encounter.pk} closed on {encounter.ended_at:%Y-%m-%d}; results are taken for "
            f"{LAB_RESULTS_AFTER_DISCHARGE.days} days after an encounter closes. Record it on a current encounter.",
            field="encounter",
        )
    return encounter


@transaction.atomic(using="default")
def lab_result_record(
    *,
    encounter_id: int,
    test: str,
    value: Decimal,
    unit: str = "",
    resulted_at: datetime.datetime | None = None,
    reference_low: Decimal | None = None,
    reference_high: Decimal | None = None,
    recorded_by: User | None = None,
) -> LabResult:
    """Record a result of a listed test on an open (or recently closed) encounter, flagged against its range.

    The unit must be the test's (no silent conversions); the value must be plausible for the test; the
    reference range defaults to the test's; a laboratory's own range replaces it (an end left out is open).
    """
    now = timezone.now()
    spec = lab_tests.LAB_TESTS.get((test or "").strip())
    if spec is None:
        raise InvalidInput(f"'{test}' is not a test on the lab list (a LOINC code such as 4548-4).", field="test")
    encounter = _encounter_taking_results(encounter_id, now)
    errors: dict[str, list[str]] = {}
    unit = (unit or "").strip() or spec.unit
    if not lab_tests.same_unit(unit, spec.unit):
        errors["unit"] = [f"{spec.name} is recorded in {spec.unit}; convert the result before recording it."]
    low, high = spec.plausible
    if value is None or not low <= value <= high:
        errors["value"] = [f"{value} {spec.unit} is not a plausible {spec.name} (expected {low} to {high})."]
    resulted_at = resulted_at or now
    if resulted_at > now + datetime.timedelta(minutes=5):
        errors["resulted_at"] = ["A result cannot be reported in the future."]
    elif resulted_at < encounter.started_at:
        errors["resulted_at"] = ["A result cannot be reported before its encounter started."]
    if reference_low is not None and reference_high is not None and reference_low > reference_high:
        errors["reference_low"] = ["The reference range's low end is above its high end."]
    if errors:
        raise InvalidInput(errors=errors)
    if reference_low is None and reference_high is None:
        reference_low, reference_high = spec.low, spec.high
    result = LabResult(
        encounter=encounter,
        patient_id=encounter.patient_id,
        test_code=spec.code,
        test_name=spec.name,
        value=value,
        unit=spec.unit,
        reference_low=reference_low,
        reference_high=reference_high,
        flag=lab_tests.flag_for(value, low=reference_low, high=reference_high, test=spec),
        resulted_at=resulted_at,
        recorded_by=recorded_by,
    )
    validate(result)
    return save_new(result, on_conflict="The reference range's low end is above its high end.", field="reference_low")


# --- clinical notes -----------------------------------------------------------------------------------------

NOTE_MAX_CHARS = 20_000


def _note_text(text: str) -> str:
    """The note as written, trailing blanks aside; a note that is only the template's headings is empty."""
    text = (text or "").strip()
    if not text or _only_headings(text):
        raise InvalidInput("Write the note before saving it.", field="text")
    if len(text) > NOTE_MAX_CHARS:
        raise InvalidInput(f"A note holds at most {NOTE_MAX_CHARS} characters.", field="text")
    return text


def _only_headings(text: str) -> bool:
    headings = {line.strip() for line in SOAP_TEMPLATE.splitlines() if line.strip()}
    return all(line.strip() in headings for line in text.splitlines() if line.strip())


def _sign(note: ClinicalNote, at: datetime.datetime) -> None:
    note.status, note.signed_at = ClinicalNote.Status.SIGNED, at


def _locked_note(note_id: int) -> ClinicalNote:
    """The note and its encounter, locked in the order note_write takes (encounter, then note)."""
    encounter_id = ClinicalNote.objects.filter(pk=note_id).values_list("encounter_id", flat=True).first()
    if encounter_id is None:
        raise NotFound(f"Note {note_id} does not exist.")
    Encounter.objects.select_for_update().filter(pk=encounter_id).first()
    return get_locked(ClinicalNote, note_id, label="Note")


def _authors_draft(note: ClinicalNote, user: User, doing: str) -> None:
    if note.status == ClinicalNote.Status.SIGNED:
        raise Conflict(f"Note {note.pk} is signed: it cannot be {doing}; amend it instead.", field="text")
    if note.author_id != user.pk:
        raise Conflict(f"Only the note's author can {doing.removesuffix('ed')} a draft note.", field="text")


@transaction.atomic(using="default")
def note_write(*, encounter_id: int, author: User, text: str, sign: bool = False) -> ClinicalNote:
    """Write a note on an open encounter: a draft, or signed at once (`sign`)."""
    encounter = _open_encounter(encounter_id)
    now = timezone.now()
    note = ClinicalNote(encounter=encounter, author=author, text=_note_text(text), created_at=now, updated_at=now)
    if sign:
        _sign(note, now)
    validate(note)
    note.save(using="default")
    return note


@transaction.atomic(using="default")
def note_edit(*, note_id: int, editor: User, text: str, sign: bool = False) -> ClinicalNote:
    """Change a draft note's text (its author only); `sign` signs it too."""
    note = _locked_note(note_id)
    _authors_draft(note, editor, "edited")
    note.text, note.updated_at = _note_text(text), timezone.now()
    if sign:
        _sign(note, note.updated_at)
    validate(note)
    note.save(using="default", update_fields=["text", "updated_at", "status", "signed_at"])
    return note


@transaction.atomic(using="default")
def note_sign(*, note_id: int, signer: User) -> ClinicalNote:
    """Sign a draft (its author only): from then on it is final, and only an amendment can correct it."""
    note = _locked_note(note_id)
    _authors_draft(note, signer, "signed")
    note.updated_at = timezone.now()
    _sign(note, note.updated_at)
    note.save(using="default", update_fields=["status", "signed_at", "updated_at"])
    return note


@transaction.atomic(using="default")
def note_amend(*, note_id: int, author: User, text: str, sign: bool = False) -> ClinicalNote:
    """Correct a signed note: a new note on the same encounter that links to it (the original stays as it
    was). Also after the encounter closed. One amendment per note: a later correction amends the amendment."""
    original = _locked_note(note_id)
    if original.status != ClinicalNote.Status.SIGNED:
        raise Conflict(f"Note {original.pk} is a draft: edit it rather than amend it.", field="text")
    later = ClinicalNote.objects.filter(amends=original).first()
    if later is not None:
        raise Conflict(
            f"Note {original.pk} was already amended by note {later.pk}"
            f"{' (a draft)' if later.status == ClinicalNote.Status.DRAFT else ''}: amend that one.",
            field="text",
        )
    text = _note_text(text)
    if text == original.text:
        raise InvalidInput("The amendment is the same as the note: change what needs correcting.", field="text")
    now = timezone.now()
    note = ClinicalNote(
        encounter_id=original.encounter_id, author=author, text=text, amends=original, created_at=now, updated_at=now
    )
    if sign:
        _sign(note, now)
    validate(note)
    return save_new(note, on_conflict=f"Note {original.pk} was already amended.", field="text")
