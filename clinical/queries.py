"""Clinical queries: one function per question; they read where the router sends them."""

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet

from clinical.models import (
    Allergy,
    AllergyStatement,
    Condition,
    Department,
    Diagnosis,
    Encounter,
    Icd10Code,
    LabResult,
    Patient,
    Vitals,
)

ATTEND = "attend_encounter"


def patient_search(*, q: str = "") -> QuerySet[Patient]:
    """Patients whose names contain every word of `q`, or whose MRN is `q` (trigram indexes keep it fast)."""
    patients = Patient.objects.all()
    q = q.strip()
    if q:
        by_mrn = patients.filter(mrn=q.upper())
        if by_mrn.exists():  # an exact MRN is the whole answer: skip the name search
            return by_mrn
        every_word = Q()
        for word in q.split()[:5]:
            every_word &= Q(given_name__icontains=word) | Q(family_name__icontains=word)
        patients = patients.filter(Q(mrn=q.upper()) | every_word)
    return patients


def patients() -> QuerySet[Patient]:
    return Patient.objects.all()


def clinicians() -> QuerySet[User]:
    """Who may attend an encounter: active staff given clinical.attend_encounter by a role or directly.
    Superuser status does not count, and integrators' service accounts never do."""
    attend = Q(groups__permissions__codename=ATTEND, groups__permissions__content_type__app_label="clinical") | Q(
        user_permissions__codename=ATTEND, user_permissions__content_type__app_label="clinical"
    )
    eligible = User.objects.filter(attend, is_active=True).exclude(api_client__isnull=False)
    return User.objects.filter(pk__in=eligible.values("pk")).order_by("last_name", "first_name", "username")


def departments() -> QuerySet[Department]:
    return Department.objects.all()


def icd10_search(*, q: str = "", billable_only: bool = False) -> QuerySet[Icd10Code]:
    """ICD-10-CM codes by code prefix (E11, E11.9) or by words of the description."""
    codes = Icd10Code.objects.all()
    if billable_only:
        codes = codes.filter(billable=True)
    q = q.strip()
    if not q:
        return codes
    as_code = q.upper().replace(".", "")
    if len(q.split()) == 1 and as_code[:1].isalpha() and as_code[1:3].isdigit():
        prefix = f"{as_code[:3]}.{as_code[3:]}" if len(as_code) > 3 else as_code
        return codes.filter(code__startswith=prefix)
    for word in q.split()[:5]:
        codes = codes.filter(description__icontains=word)
    return codes


def encounters() -> QuerySet[Encounter]:
    return Encounter.objects.select_related("department", "attending")


def diagnoses() -> QuerySet[Diagnosis]:
    return Diagnosis.objects.select_related("encounter")


def allergies() -> QuerySet[Allergy]:
    return Allergy.objects.all()


def allergy_statements() -> QuerySet[AllergyStatement]:
    return AllergyStatement.objects.all()


def allergy_status(*, patient_id: int) -> dict:
    """What is known about the patient's allergies: `state` "recorded" (allergies on record, refuted ones
    aside), "nkda" / "nka" (a current statement), or "not_asked" (nothing: nobody has asked yet)."""
    if Allergy.objects.filter(patient_id=patient_id).exclude(verification=Allergy.Verification.REFUTED).exists():
        return {"state": "recorded", "label": "Allergies recorded", "statement": None}
    statement = (
        AllergyStatement.objects.select_related("stated_by")
        .filter(patient_id=patient_id, withdrawn_at__isnull=True)
        .first()
    )
    if statement:
        return {"state": statement.kind, "label": statement.get_kind_display(), "statement": statement}
    return {"state": "not_asked", "label": "Not yet asked", "statement": None}


def conditions() -> QuerySet[Condition]:
    return Condition.objects.all()


def problem_list(*, patient_id: int) -> QuerySet[Condition]:
    """The patient's active problems, oldest onset first."""
    return Condition.objects.filter(patient_id=patient_id, status=Condition.Status.ACTIVE).order_by("onset", "code_id")


def vitals() -> QuerySet[Vitals]:
    return Vitals.objects.select_related("encounter")


def lab_results() -> QuerySet[LabResult]:
    return LabResult.objects.all()


def patient_exists(*, patient_id: int) -> bool:
    return Patient.objects.filter(pk=patient_id).exists()
