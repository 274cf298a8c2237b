"""Clinical queries: one function per question; they read where the router sends them."""

import logging
import re
from collections.abc import Callable

from django.contrib.auth.models import User
from django.db import connections
from django.db.models import Q, QuerySet

from clinical.diagnosis_terms import lay_codes, terms_for
from clinical.models import (
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
from core.routing.router import read_alias

ATTEND = "attend_encounter"
log = logging.getLogger("hmis.clinical")


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


# How the hospital's codes rank by use, most used first: registered by the read side (reports), which keeps
# the diagnosis counts (decision 8: a lower layer offers a registry). Empty until then.
_code_usage: list[Callable[[], list[str]]] = []


def register_code_usage(provider: Callable[[], list[str]]) -> None:
    """`provider()` -> the codes diagnosed here, most used first (a ranking hint for diagnosis_suggestions)."""
    _code_usage[:] = [provider]


def _used_codes() -> list[str]:
    if not _code_usage:
        return []
    try:
        return list(_code_usage[0]())
    except Exception:
        log.warning("diagnosis usage unavailable; suggestions ranked without it", exc_info=True)
        return []


_CODE = re.compile(r"^[A-Za-z][0-9][0-9A-Za-z](\.?[0-9A-Za-z]{0,4})?$")


def looks_like_icd10(text: str) -> bool:
    """'I21.9', 'e119', 'J18': shaped like an ICD-10-CM code (whether it is one is the list's to say)."""
    return bool(_CODE.match(text or ""))


SUGGESTIONS_SQL = """
SELECT code, description, billable,
       CASE WHEN code = ANY(%(lay)s) THEN 1000 - array_position(%(lay)s, code)
            WHEN upper(description) LIKE %(starts)s THEN 3
            WHEN {whole} THEN 2
            ELSE 1 END AS relevance,
       array_position(%(used)s, code) AS use_rank
FROM clinical_icd10code
WHERE code = ANY(%(lay)s) OR ({matches})
ORDER BY billable DESC, array_position(%(used)s, code) NULLS LAST, relevance DESC, {tiebreak}
LIMIT %(limit)s
"""


def diagnosis_suggestions(*, q: str, limit: int = 20) -> list[dict]:
    """The diagnosis picker's suggestions for what was typed: a code or its start (E11, e11.9), words of
    the ICD-10-CM description (each word starts a word of it: "pneum"), or everyday words
    (clinical/diagnosis_terms.py: "heart attack", "UTI").

    Ranked: billable codes first (a category such as J18 cannot be recorded), then the codes this hospital
    diagnoses most (the read side's counts, `register_code_usage`), then relevance: the everyday words'
    codes in their listed order, a description that starts with the first word, one with every word whole,
    any other match; shorter descriptions before longer. Each: code, description, billable, terms (the
    everyday words that matched, if any), used (whether the hospital has used the code lately)."""
    q = " ".join((q or "").split())
    first = q.split(" ")[0] if q else ""
    if not q:
        return []
    params: dict = {"lay": lay_codes(q), "used": _used_codes(), "limit": limit}
    if looks_like_icd10(first):  # a code, or a picked suggestion ("I21.9 Acute myocardial infarction, ...")
        code = normalize_icd10(first)
        params |= {"lay": [], "under": f"{code}%", "starts": ""}
        matches, whole, tiebreak = "code LIKE %(under)s", "false", "code"
    else:
        # Words of three letters or more (the trigram index needs three; "of", "ab" would scan every code).
        words = [w for w in (re.sub(r"[^0-9A-Z]", "", w.upper()) for w in q.split(" ")[:6]) if len(w) >= 3]
        if not words and not params["lay"]:
            return []
        params["starts"] = f"{words[0]}%" if words else ""
        for i, word in enumerate(words):
            params[f"w{i}"], params[f"p{i}"], params[f"x{i}"] = f"%{word}%", rf"\m{word}", rf"\m{word}\M"
        matches = (
            " AND ".join(
                f"upper(description) LIKE %(w{i})s AND upper(description) ~ %(p{i})s" for i in range(len(words))
            )
            or "false"
        )
        whole = " AND ".join(f"upper(description) ~ %(x{i})s" for i in range(len(words))) or "false"
        tiebreak = "length(description), code"
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(SUGGESTIONS_SQL.format(matches=matches, whole=whole, tiebreak=tiebreak), params)
        found = cursor.fetchall()
    lay = set(params["lay"])
    return [
        {
            "code": code,
            "description": description,
            "billable": billable,
            "terms": terms_for(code) if code in lay else [],
            "used": use_rank is not None,
        }
        for code, description, billable, _relevance, use_rank in found
    ]


def normalize_icd10(code: str) -> str:
    """'e119' / 'E11.9' / ' E11.9 ' -> 'E11.9' (the list's spelling: a dot after the category)."""
    code = (code or "").strip().upper().replace(".", "")
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 else code


def encounters() -> QuerySet[Encounter]:
    return Encounter.objects.select_related("department", "attending")


def open_encounters_of(*, clinician) -> QuerySet[Encounter]:
    """The encounters a clinician attends that are still open, the longest open first (their worklist)."""
    found = encounters().select_related("patient").filter(attending=clinician, status=Encounter.Status.OPEN)
    return found.order_by("started_at", "pk")


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


def notes() -> QuerySet[ClinicalNote]:
    """Clinical notes with their encounter (the audit trail's way to the patient), author and the note each
    amends."""
    return ClinicalNote.objects.select_related("encounter", "author", "amends")


def patient_exists(*, patient_id: int) -> bool:
    return Patient.objects.filter(pk=patient_id).exists()


DUPLICATE_SQL = r"""
SELECT p.id, p.mrn, p.given_name, p.family_name, p.date_of_birth, p.phone,
       round(similarity(unaccent(lower(p.given_name || ' ' || p.family_name)), %(name)s)::numeric, 2) AS name_likeness,
       p.date_of_birth = %(born)s AS same_birth_date,
       (length(%(digits)s) >= 7 AND right(regexp_replace(p.phone, '\D', '', 'g'), 9) = right(%(digits)s, 9))
           AS same_phone
FROM clinical_patient p
WHERE p.merged_into_id IS NULL AND p.id <> ALL(%(besides)s) AND (
      (p.date_of_birth = %(born)s
       AND similarity(unaccent(lower(p.given_name || ' ' || p.family_name)), %(name)s) >= %(likeness)s)
   OR (length(%(digits)s) >= 7 AND right(regexp_replace(p.phone, '\D', '', 'g'), 9) = right(%(digits)s, 9)))
ORDER BY same_birth_date DESC, name_likeness DESC, p.id
LIMIT 5
"""
NAME_LIKENESS = 0.4  # trigram similarity of "given family", accents and case aside (Daniel Cohen ~ Danial Cohen)


def duplicate_candidates(
    *, given_name: str, family_name: str, date_of_birth, phone: str = "", besides: tuple[int, ...] = ()
) -> list[dict]:
    """Patients who may be this person already: the same birth date and a like name, or the same phone
    number (its last nine digits, so with or without the country code; a relative sharing a phone is a
    candidate too: the clerk decides). Each with why."""
    params = {
        "name": f"{given_name} {family_name}".lower(),
        "born": date_of_birth,
        "digits": "".join(c for c in phone or "" if c.isdigit()),
        "besides": list(besides),
        "likeness": NAME_LIKENESS,
    }
    with connections[read_alias()].cursor() as cursor:  # inside a command: the primary
        cursor.execute("SELECT unaccent(%(name)s)", params)
        params["name"] = cursor.fetchone()[0]
        cursor.execute(DUPLICATE_SQL, params)
        names = [c.name for c in cursor.description]
        found = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    for candidate in found:
        reasons = []
        if candidate["same_birth_date"] and candidate["name_likeness"] >= NAME_LIKENESS:
            reasons.append("same birth date and a similar name")
        if candidate["same_phone"]:
            reasons.append("same phone number")
        candidate["reasons"] = reasons
    return found


def merge_history(*, patient_id: int) -> QuerySet[PatientMerge]:
    """The merges into or of this record, newest first."""
    return PatientMerge.objects.select_related("survivor", "duplicate").filter(
        Q(survivor_id=patient_id) | Q(duplicate_id=patient_id)
    )
