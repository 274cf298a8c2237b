from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Value
from django.db.models.functions import Right, Upper
from django.utils import timezone

from clinical import allergens, lab_tests
from core import links


def not_in_future(value):
    if value > timezone.localdate():
        raise ValidationError("Date of birth cannot be in the future.")


def envelope(line1: str, line2: str, postal_code: str, city: str, country: str) -> str:
    """An address as one would write it on an envelope, one line per part."""
    place = " ".join(p for p in (postal_code, city) if p)
    return "\n".join(p for p in (line1, line2, place, country) if p)


def country_code(value):
    if not (len(value) == 2 and value.isascii() and value.isalpha() and value.isupper()):
        raise ValidationError("Enter a two-letter ISO 3166 country code in capitals, e.g. GB.")


def language_code(value):
    from django.conf.locale import LANG_INFO

    if value.lower() not in LANG_INFO:
        raise ValidationError("Enter a language code such as en, fr or pt-br.")


class Department(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Icd10Code(models.Model):
    """The ICD-10-CM code list (CMS), loaded from the simple-icd-10-cm package by a data migration."""

    code = models.CharField(max_length=8, primary_key=True)
    description = models.CharField(max_length=300)
    chapter = models.CharField(max_length=4)
    chapter_title = models.CharField(max_length=200)
    block = models.CharField(max_length=8)
    billable = models.BooleanField(help_text="A leaf code (valid on a claim).")

    class Meta:
        ordering = ["code"]
        verbose_name = "ICD-10-CM code"
        # Reference data shipped with the code (created and loaded by migrations), not hospital data:
        # unmanaged, so test flushes and `manage.py flush` leave it in place.
        managed = False
        indexes = [GinIndex(OpClass(Upper("description"), name="gin_trgm_ops"), name="icd10_description_trgm")]

    def __str__(self):
        return f"{self.code} {self.description}"


class Patient(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        OTHER = "other", "Other"
        UNKNOWN = "unknown", "Unknown"

    mrn = models.CharField("MRN", max_length=20, unique=True, help_text="Medical record number.")
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField(validators=[not_in_future])
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    phone = models.CharField(max_length=30, blank=True)
    # The home address, structured (seed 001's PatientView searches by postal code; FHIR's Patient.address).
    address_line1 = models.CharField("address", max_length=200, blank=True)
    address_line2 = models.CharField("address (line 2)", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(
        max_length=2, blank=True, validators=[country_code], help_text="ISO 3166 two-letter code, e.g. GB."
    )
    primary_care_provider = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    preferred_language = models.CharField(
        max_length=10, blank=True, validators=[language_code], help_text="A language code, e.g. en, fr, pt-br."
    )
    # A duplicate record merged into another (clinical.commands.patient_merge): its MRN finds the survivor.
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, related_name="merged_records", null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(mrn=""), name="patient_mrn_not_blank"),
            models.CheckConstraint(
                condition=~models.Q(merged_into=models.F("pk")), name="patient_not_merged_into_itself"
            ),
        ]
        indexes = [
            # Name search (ILIKE '%word%') stays fast at hundreds of thousands of patients.
            GinIndex(OpClass(Upper("family_name"), name="gin_trgm_ops"), name="patient_family_trgm"),
            GinIndex(OpClass(Upper("given_name"), name="gin_trgm_ops"), name="patient_given_trgm"),
            # Duplicate detection at registration: the same birth date, or the same phone number.
            models.Index(fields=["date_of_birth"], name="patient_born"),
            # a number's last nine digits: +1 555 010 2233 and 555-010-2233 are the same phone
            models.Index(
                Right(Func(F("phone"), Value(r"\D"), Value(""), Value("g"), function="regexp_replace"), 9),
                name="patient_phone_tail",
            ),
        ]
        permissions = [("merge_patient", "Can merge duplicate patient records (and undo a merge the same day)")]

    def __str__(self):
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    def get_absolute_url(self):
        return links.patient_record(self.pk)

    @property
    def address(self) -> str:
        return envelope(self.address_line1, self.address_line2, self.postal_code, self.city, self.country)


class PatientMerge(models.Model):
    """One merge of a duplicate record into its survivor: which rows moved (so that an undo moves exactly
    those back), which stayed (the survivor already had their like), who did it and when; undone_at once
    undone."""

    survivor = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="merges_received")
    duplicate = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="merges_given")
    merged_at = models.DateTimeField(default=timezone.now)
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    reason = models.CharField(max_length=200, blank=True)
    # {"app_label.model": {"field": "patient", "ids": [...]}}
    moved = models.JSONField(default=dict)
    kept = models.JSONField(default=dict, help_text="Rows left on the duplicate, and why.")
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["-merged_at", "-id"]

    def __str__(self):
        return f"{self.duplicate} into {self.survivor}"


class Encounter(models.Model):
    class Type(models.TextChoices):
        OUTPATIENT = "outpatient", "Outpatient"
        INPATIENT = "inpatient", "Inpatient"
        EMERGENCY = "emergency", "Emergency"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="encounters")
    type = models.CharField(max_length=12, choices=Type.choices)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="encounters")
    attending = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="open", ended_at__isnull=True)
                | models.Q(status="closed", ended_at__isnull=False, ended_at__gte=models.F("started_at")),
                name="encounter_closed_has_valid_end",
                violation_error_message="A closed encounter needs an end time after its start.",
            ),
        ]
        indexes = [models.Index(fields=["patient", "-started_at"]), models.Index(fields=["status"])]
        # Who may be named attending (clinical.queries.clinicians): held through a role, never implied by
        # superuser status, never by an integrator's service account.
        permissions = [("attend_encounter", "Can be the attending clinician of an encounter")]

    def __str__(self):
        return f"{self.get_type_display()} #{self.pk} — {self.patient}"


class Diagnosis(models.Model):
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="diagnoses")
    code = models.ForeignKey(Icd10Code, on_delete=models.PROTECT, related_name="+", db_column="icd10_code")
    description = models.CharField(max_length=300, help_text="As given by the ICD-10-CM list.")
    is_primary = models.BooleanField(default=False)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-is_primary", "recorded_at", "id"]
        verbose_name_plural = "diagnoses"
        constraints = [
            models.UniqueConstraint(
                fields=["encounter"],
                condition=models.Q(is_primary=True),
                name="one_primary_diagnosis_per_encounter",
                violation_error_message="This encounter already has a primary diagnosis.",
            ),
        ]
        indexes = [models.Index(fields=["recorded_at"])]  # the recent diagnosis view selects by it

    def __str__(self):
        return f"{self.code_id} {self.description}"


class Allergy(models.Model):
    """An allergy or intolerance: coded against the allergen list (clinical/allergens.py), or, when nothing
    on the list fits, free text (uncoded: shown as such, and it warns at every prescription)."""

    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"

    class Category(models.TextChoices):
        DRUG = allergens.DRUG, "Drug"
        FOOD = allergens.FOOD, "Food"
        ENVIRONMENT = allergens.ENVIRONMENT, "Environment"

    class Verification(models.TextChoices):
        UNCONFIRMED = "unconfirmed", "Unconfirmed"
        CONFIRMED = "confirmed", "Confirmed"
        REFUTED = "refuted", "Refuted"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="allergies")
    allergen_code = models.CharField(
        max_length=60, blank=True, help_text="A code of the allergen list; empty for an uncoded (free-text) allergy."
    )
    substance = models.CharField(max_length=100, help_text="The allergen's name on the list, or the free text.")
    category = models.CharField(max_length=12, choices=Category.choices)
    reaction = models.CharField(max_length=200, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    verification = models.CharField(max_length=12, choices=Verification.choices, default=Verification.UNCONFIRMED)
    onset = models.DateField(null=True, blank=True, help_text="When the reaction happened (first), if known.")
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["substance"]
        verbose_name_plural = "allergies"
        constraints = [
            models.UniqueConstraint(
                Upper("substance"),
                "patient",
                name="one_allergy_per_substance",
                violation_error_message="This allergy is already recorded for the patient.",
            ),
            models.UniqueConstraint(
                fields=["patient", "allergen_code"],
                condition=~models.Q(allergen_code=""),
                name="one_allergy_per_allergen",
                violation_error_message="This allergy is already recorded for the patient.",
            ),
            models.CheckConstraint(
                condition=models.Q(verification__in=["unconfirmed", "confirmed", "refuted"]),
                name="allergy_verification_known",
            ),
            models.CheckConstraint(
                condition=models.Q(category__in=["drug", "food", "environment"]), name="allergy_category_known"
            ),
        ]

    def __str__(self):
        return f"{self.substance} ({self.get_severity_display()})"

    @property
    def coded(self) -> bool:
        return bool(self.allergen_code)


class AllergyStatement(models.Model):
    """What was said when the patient was asked about allergies and had none: "no known drug allergies" (or
    none at all). No current statement and no allergy on record means nobody has asked yet. Recording an
    allergy the statement denies withdraws it."""

    class Kind(models.TextChoices):
        NO_KNOWN_DRUG_ALLERGIES = "nkda", "No known drug allergies"
        NO_KNOWN_ALLERGIES = "nka", "No known allergies"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="allergy_statements")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    stated_at = models.DateTimeField(default=timezone.now)
    stated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_because = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-stated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="one_current_allergy_statement",
                violation_error_message="The patient already has a current allergy statement.",
            ),
            models.CheckConstraint(condition=models.Q(kind__in=["nkda", "nka"]), name="allergystatement_kind_known"),
        ]

    def __str__(self):
        return self.get_kind_display()


class Condition(models.Model):
    """The problem list: one row per problem a patient has (ICD-10-CM, a billable code), created or
    confirmed by encounter diagnoses, resolved when it is over. A problem that comes back is a new row."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RESOLVED = "resolved", "Resolved"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="conditions")
    code = models.ForeignKey(Icd10Code, on_delete=models.PROTECT, related_name="+", db_column="icd10_code")
    description = models.CharField(max_length=300, help_text="As given by the ICD-10-CM list.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    onset = models.DateField(null=True, blank=True)
    resolved_on = models.DateField(null=True, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    last_diagnosed_at = models.DateTimeField(
        null=True, blank=True, help_text="The latest encounter diagnosis of this problem."
    )

    class Meta:
        ordering = ["status", "onset", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "code"],
                condition=models.Q(status="active"),
                name="one_active_condition_per_code",
                violation_error_message="This problem is already on the patient's problem list.",
            ),
            models.CheckConstraint(
                condition=models.Q(status="active", resolved_on__isnull=True)
                | models.Q(status="resolved", resolved_on__isnull=False),
                name="condition_resolved_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(onset__isnull=True)
                | models.Q(resolved_on__isnull=True)
                | models.Q(resolved_on__gte=models.F("onset")),
                name="condition_resolved_after_onset",
                violation_error_message="A problem cannot be resolved before its onset.",
            ),
        ]
        indexes = [models.Index(fields=["patient", "status"], name="condition_patient_status")]

    def __str__(self):
        return f"{self.code_id} {self.description}"


# Physiological ranges: values outside them are typing errors, not patients.
VITAL_RANGES = {
    "pulse": (20, 250),
    "systolic": (40, 300),
    "diastolic": (20, 200),
    "temperature": (Decimal("25.0"), Decimal("45.0")),
    "spo2": (40, 100),
    "respiratory_rate": (4, 80),
    "weight": (Decimal("0.3"), Decimal("500.0")),
}


def _range(name):
    low, high = VITAL_RANGES[name]
    return [MinValueValidator(low), MaxValueValidator(high)]


def _range_check(name):
    low, high = VITAL_RANGES[name]
    return models.CheckConstraint(
        condition=models.Q(**{f"{name}__isnull": True}) | models.Q(**{f"{name}__gte": low, f"{name}__lte": high}),
        name=f"vitals_{name}_in_range",
    )


class Vitals(models.Model):
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="vitals")
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    pulse = models.PositiveSmallIntegerField("pulse (/min)", null=True, blank=True, validators=_range("pulse"))
    systolic = models.PositiveSmallIntegerField(
        "systolic BP (mmHg)", null=True, blank=True, validators=_range("systolic")
    )
    diastolic = models.PositiveSmallIntegerField(
        "diastolic BP (mmHg)", null=True, blank=True, validators=_range("diastolic")
    )
    temperature = models.DecimalField(
        "temperature (°C)", max_digits=4, decimal_places=1, null=True, blank=True, validators=_range("temperature")
    )
    spo2 = models.PositiveSmallIntegerField("SpO₂ (%)", null=True, blank=True, validators=_range("spo2"))
    respiratory_rate = models.PositiveSmallIntegerField(
        "respiratory rate (/min)", null=True, blank=True, validators=_range("respiratory_rate")
    )
    weight = models.DecimalField(
        "weight (kg)", max_digits=5, decimal_places=1, null=True, blank=True, validators=_range("weight")
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name_plural = "vitals"
        constraints = [
            *(_range_check(name) for name in VITAL_RANGES),
            models.CheckConstraint(
                condition=models.Q(systolic__isnull=True)
                | models.Q(diastolic__isnull=True)
                | models.Q(systolic__gt=models.F("diastolic")),
                name="vitals_systolic_above_diastolic",
                violation_error_message="Diastolic pressure must be below systolic.",
            ),
        ]

    def __str__(self):
        return f"Vitals {self.recorded_at:%Y-%m-%d %H:%M}"

    def clean(self):
        if self.systolic is not None and self.diastolic is not None and self.systolic <= self.diastolic:
            raise ValidationError({"diastolic": "Diastolic pressure must be below systolic."})
        if all(getattr(self, name) is None for name in VITAL_RANGES):
            raise ValidationError("Record at least one measurement.")


class LabFlag(models.TextChoices):
    CRITICAL_LOW = "critical_low", "Critically low"
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    CRITICAL_HIGH = "critical_high", "Critically high"


class LabResult(models.Model):
    """One result of a test on the curated LOINC list (clinical/lab_tests.py), flagged against its range."""

    Flag = LabFlag

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="lab_results")
    # The encounter's patient, kept on the row so per-patient and per-test lookups use one index.
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="lab_results")
    test_code = models.CharField("LOINC code", max_length=10, choices=lab_tests.CHOICES)
    test_name = models.CharField(max_length=60, help_text="As given by the lab test list.")
    value = models.DecimalField(max_digits=10, decimal_places=3)
    unit = models.CharField(max_length=20)
    reference_low = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    reference_high = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    flag = models.CharField(max_length=14, choices=LabFlag.choices)
    resulted_at = models.DateTimeField(help_text="When the laboratory reported the result.")
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["-resulted_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(flag__in=LabFlag.values), name="labresult_flag_known"),
            models.CheckConstraint(
                condition=models.Q(reference_low__isnull=True)
                | models.Q(reference_high__isnull=True)
                | models.Q(reference_low__lte=models.F("reference_high")),
                name="labresult_reference_range_ordered",
                violation_error_message="The reference range's low end is above its high end.",
            ),
        ]
        indexes = [
            # The chart (a patient's results, newest first) and "latest HbA1c per patient" for the projections.
            models.Index(fields=["patient", "-resulted_at"], name="labresult_patient_time"),
            models.Index(fields=["test_code", "patient", "-resulted_at"], name="labresult_test_patient_time"),
            # Critical results are rare: the alerts projection reads only these.
            models.Index(
                fields=["resulted_at"],
                condition=models.Q(flag__in=["critical_low", "critical_high"]),
                name="labresult_critical_time",
            ),
        ]

    def __str__(self):
        return f"{self.test_name} {self.value_text} {self.unit} ({self.resulted_at:%Y-%m-%d %H:%M})"

    @property
    def value_text(self) -> str:
        return _plain(self.value)

    @property
    def reference_text(self) -> str:
        """'3.5-5.1', '≥ 60', '≤ 99' or '' (no range)."""
        low, high = self.reference_low, self.reference_high
        if low is not None and high is not None:
            return f"{_plain(low)}-{_plain(high)}"
        if low is not None:
            return f"≥ {_plain(low)}"
        return f"≤ {_plain(high)}" if high is not None else ""

    @property
    def critical(self) -> bool:
        return self.flag in (LabFlag.CRITICAL_LOW, LabFlag.CRITICAL_HIGH)


def _plain(value: Decimal) -> str:
    """6.800 -> '6.8', 100.000 -> '100' (no exponent)."""
    return f"{value.normalize():f}"


SOAP_TEMPLATE = "Subjective:\n\n\nObjective:\n\n\nAssessment:\n\n\nPlan:\n"


class ClinicalNote(models.Model):
    """A note on an encounter (a progress note, SOAP by default), written by a clinician or a nurse. A draft
    may be edited by its author; signing fixes it for good: a signed note is never edited (a database
    trigger refuses it, migration 0011), only amended by a new note that links to it (at most one amendment
    per note, so a note's versions form one chain)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed"

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    amends = models.OneToOneField(
        "self", on_delete=models.PROTECT, related_name="amendment", null=True, blank=True,
        help_text="The signed note this one corrects.",
    )  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="draft", signed_at__isnull=True)
                | models.Q(status="signed", signed_at__isnull=False),
                name="clinicalnote_signed_has_time",
            ),
            models.CheckConstraint(condition=~models.Q(text=""), name="clinicalnote_text_not_blank"),
            models.CheckConstraint(condition=~models.Q(amends=models.F("pk")), name="clinicalnote_not_amending_itself"),
        ]
        indexes = [models.Index(fields=["encounter", "-created_at"], name="clinicalnote_encounter_time")]

    def __str__(self):
        return f"Note #{self.pk} ({self.get_status_display().lower()})"

    @property
    def signed(self) -> bool:
        return self.status == self.Status.SIGNED
