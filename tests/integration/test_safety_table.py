"""The safety rules, table-driven: allergy x drug x current medications x latest eGFR -> block / warn / allow.

Each case runs through the three places the one rule engine is used, and they must agree with the table
and with each other: the prescribing command (a block refuses the order and writes nothing until an
override reason is given), the dispensing command (the pharmacist's own override), and the patient-alerts
projection (each finding an alert on that prescription: a block "high", a warning "medium", an unconfirmed
allergy "low"). Zero misses and zero false blocks: every finding must be expected, every expected one found.
"""

# ruff: noqa: E501 (the table reads best one case per line)
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from clinical import commands as clinical
from pharmacy import commands
from pharmacy.commands import SafetyBlock
from pharmacy.models import Dispense, OrderCheck, Prescription, StockBatch
from reports.engine import increments
from reports.projections.patient_alerts import ALERTS
from tests.support.factories.clinical import DepartmentFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

# code -> (name, ingredients)
FORMULARY = {
    "AMOX": ("Amoxicillin", ["amoxicillin"]),
    "COAMOX": ("Co-amoxiclav", ["amoxicillin", "clavulanic acid"]),
    "FLUCLOX": ("Flucloxacillin", ["flucloxacillin"]),
    "CEFALEX": ("Cefalexin", ["cefalexin"]),
    "CEFTRI": ("Ceftriaxone", ["ceftriaxone"]),
    "MERO": ("Meropenem", ["meropenem"]),
    "COTRIM": ("Co-trimoxazole", ["sulfamethoxazole", "trimethoprim"]),
    "TMP": ("Trimethoprim", ["trimethoprim"]),
    "SMX": ("Sulfamethoxazole", ["sulphamethoxazole"]),  # a synonym: kept as sulfamethoxazole
    "CLARI": ("Clarithromycin", ["clarithromycin"]),
    "AZITHRO": ("Azithromycin", ["azithromycin"]),
    "CIPRO": ("Ciprofloxacin", ["ciprofloxacin"]),
    "DOXY": ("Doxycycline", ["doxycycline"]),
    "IBU": ("Ibuprofen", ["ibuprofen"]),
    "NAPROX": ("Naproxen", ["naproxen"]),
    "ASA": ("Aspirin", ["aspirin"]),
    "CELE": ("Celecoxib", ["celecoxib"]),
    "PARA": ("Paracetamol", ["paracetamol"]),
    "MORPH": ("Morphine", ["morphine"]),
    "CODEINE": ("Codeine", ["codeine"]),
    "TRAM": ("Tramadol", ["tramadol"]),
    "LISI": ("Lisinopril", ["lisinopril"]),
    "RAMI": ("Ramipril", ["ramipril"]),
    "SPIRO": ("Spironolactone", ["spironolactone"]),
    "SIMVA": ("Simvastatin", ["simvastatin"]),
    "ATORVA": ("Atorvastatin", ["atorvastatin"]),
    "WARF": ("Warfarin", ["warfarin"]),
    "APIX": ("Apixaban", ["apixaban"]),
    "DABI": ("Dabigatran", ["dabigatran etexilate"]),  # a synonym: the formulary keeps "dabigatran"
    "DIAZ": ("Diazepam", ["diazepam"]),
    "LORAZ": ("Lorazepam", ["lorazepam"]),
    "IOHEX": ("Iohexol", ["iohexol"]),
    "METF": ("Metformin", ["metformin"]),
    "OMEP": ("Omeprazole", ["omeprazole"]),
    "PANTO": ("Pantoprazole", ["pantoprazole"]),
    "CLOP": ("Clopidogrel", ["clopidogrel"]),
    "NITRO": ("Nitrofurantoin", ["nitrofurantoin"]),
    "MTX": ("Methotrexate", ["methotrexate"]),
    "DIGOX": ("Digoxin", ["digoxin"]),
    "SILD": ("Sildenafil", ["sildenafil"]),
    "ISMN": ("Isosorbide mononitrate", ["isosorbide mononitrate"]),
}

BLOCK, WARN = "block", "warn"


@dataclass
class Case:
    drug: str
    expect: dict[str, str] = field(default_factory=dict)  # rule -> block / warn
    allergies: tuple = ()  # (allergen code or free text, verification)
    meds: tuple = ()  # current courses: drug codes (":stopped" / ":cancelled" for ended ones)
    egfr: tuple = ()  # eGFR results, oldest first
    asked: bool = True  # no allergy: "no known drug allergies" stated (False: nobody asked)


def case(name, drug, expect=None, **kwargs):
    return pytest.param(Case(drug, expect or {}, **kwargs), id=name)


PEN, PEN_U, PEN_R = (
    ("class:penicillins", "confirmed"),
    ("class:penicillins", "unconfirmed"),
    ("class:penicillins", "refuted"),
)

CASES = [
    # --- allergies: class and ingredient ---------------------------------------------------------------
    case("penicillin-amoxicillin", "AMOX", {"allergy_drug": BLOCK}, allergies=(PEN,)),
    case("unconfirmed-penicillin-amoxicillin", "AMOX", {"allergy_drug": BLOCK}, allergies=(PEN_U,)),
    case("refuted-penicillin-amoxicillin", "AMOX", allergies=(PEN_R,)),
    case("penicillin-coamoxiclav", "COAMOX", {"allergy_drug": BLOCK}, allergies=(PEN,)),
    case("penicillin-flucloxacillin", "FLUCLOX", {"allergy_drug": BLOCK}, allergies=(PEN,)),
    case("penicillin-cefalexin", "CEFALEX", {"allergy_cross": WARN}, allergies=(PEN,)),
    case("penicillin-ceftriaxone", "CEFTRI", {"allergy_cross": WARN}, allergies=(PEN,)),
    case("penicillin-meropenem", "MERO", {"allergy_cross": WARN}, allergies=(PEN,)),
    case("penicillin-clarithromycin", "CLARI", allergies=(PEN,)),
    case("penicillin-paracetamol", "PARA", allergies=(PEN,)),
    case("amoxicillin-amoxicillin", "AMOX", {"allergy_drug": BLOCK}, allergies=(("drug:amoxicillin", "confirmed"),)),
    case("amoxicillin-flucloxacillin", "FLUCLOX", {"allergy_drug": BLOCK}, allergies=(("drug:amoxicillin", "confirmed"),)),
    case("amoxicillin-cefalexin", "CEFALEX", {"allergy_cross": WARN}, allergies=(("drug:amoxicillin", "confirmed"),)),
    case("cephalosporin-cefalexin", "CEFALEX", {"allergy_drug": BLOCK}, allergies=(("class:cephalosporins", "confirmed"),)),
    case("cefalexin-ceftriaxone", "CEFTRI", {"allergy_cross": WARN}, allergies=(("drug:cefalexin", "confirmed"),)),
    case("cephalosporin-amoxicillin", "AMOX", {"allergy_cross": WARN}, allergies=(("class:cephalosporins", "confirmed"),)),
    case("carbapenem-meropenem", "MERO", {"allergy_drug": BLOCK}, allergies=(("class:carbapenems", "confirmed"),)),
    case("sulfa-cotrimoxazole", "COTRIM", {"allergy_drug": BLOCK}, allergies=(("sulfa", "confirmed"),)),
    case("sulfa-sulfamethoxazole", "SMX", {"allergy_drug": BLOCK}, allergies=(("sulfa", "confirmed"),)),
    case("sulfa-trimethoprim", "TMP", allergies=(("sulfa", "confirmed"),)),
    case("sulfamethoxazole-cotrimoxazole", "COTRIM", {"allergy_drug": BLOCK}, allergies=(("drug:sulfamethoxazole", "confirmed"),)),
    case("aspirin-ibuprofen", "IBU", {"allergy_drug": BLOCK}, allergies=(("drug:aspirin", "confirmed"),)),
    case("aspirin-naproxen", "NAPROX", {"allergy_drug": BLOCK}, allergies=(("drug:aspirin", "confirmed"),)),
    case("aspirin-aspirin", "ASA", {"allergy_drug": BLOCK}, allergies=(("drug:aspirin", "confirmed"),)),
    case("aspirin-paracetamol", "PARA", allergies=(("drug:aspirin", "confirmed"),)),
    case("nsaids-celecoxib", "CELE", {"allergy_drug": BLOCK}, allergies=(("class:nsaids", "confirmed"),)),
    case("ibuprofen-aspirin", "ASA", {"allergy_drug": BLOCK}, allergies=(("drug:ibuprofen", "confirmed"),)),
    case("morphine-codeine", "CODEINE", {"allergy_cross": WARN}, allergies=(("drug:morphine", "confirmed"),)),
    case("morphine-morphine", "MORPH", {"allergy_drug": BLOCK}, allergies=(("drug:morphine", "confirmed"),)),
    case("opioids-tramadol", "TRAM", {"allergy_drug": BLOCK}, allergies=(("class:opioids", "confirmed"),)),
    case("lisinopril-ramipril", "RAMI", {"allergy_drug": BLOCK}, allergies=(("drug:lisinopril", "confirmed"),)),
    case("ace-inhibitors-lisinopril", "LISI", {"allergy_drug": BLOCK}, allergies=(("class:ace-inhibitors", "confirmed"),)),
    case("simvastatin-atorvastatin", "ATORVA", {"allergy_cross": WARN}, allergies=(("drug:simvastatin", "confirmed"),)),
    case("macrolides-clarithromycin", "CLARI", {"allergy_drug": BLOCK}, allergies=(("class:macrolides", "confirmed"),)),
    case("erythromycin-azithromycin", "AZITHRO", {"allergy_drug": BLOCK}, allergies=(("drug:erythromycin", "confirmed"),)),
    case("quinolones-ciprofloxacin", "CIPRO", {"allergy_drug": BLOCK}, allergies=(("class:fluoroquinolones", "confirmed"),)),
    case("tetracyclines-doxycycline", "DOXY", {"allergy_drug": BLOCK}, allergies=(("class:tetracyclines", "confirmed"),)),
    case("contrast-iohexol", "IOHEX", {"allergy_drug": BLOCK}, allergies=(("contrast dye", "confirmed"),)),
    case("diazepam-lorazepam", "LORAZ", {"allergy_cross": WARN}, allergies=(("drug:diazepam", "confirmed"),)),
    case("warfarin-apixaban", "APIX", allergies=(("drug:warfarin", "confirmed"),)),
    case("unconfirmed-warfarin-apixaban", "APIX", {"allergy_unverified": WARN}, allergies=(("drug:warfarin", "unconfirmed"),)),
    # --- uncoded, unverified, non-drug, none ---------------------------------------------------------------
    case("uncoded-bactrim-cotrimoxazole", "COTRIM", {"allergy_uncoded": WARN}, allergies=(("Bactrim?", "unconfirmed"),)),
    case("uncoded-bactrim-paracetamol", "PARA", {"allergy_uncoded": WARN}, allergies=(("Bactrim?", "unconfirmed"),)),
    case("unconfirmed-penicillin-paracetamol", "PARA", {"allergy_unverified": WARN}, allergies=(PEN_U,)),
    case("latex-paracetamol", "PARA", allergies=(("env:latex", "unconfirmed"),)),
    case("peanut-paracetamol", "PARA", allergies=(("food:peanut", "confirmed"),)),
    case("refuted-uncoded-cotrimoxazole", "COTRIM", allergies=(("Bactrim?", "refuted"),)),
    case("not-asked-paracetamol", "PARA", {"allergy_unknown": WARN}, asked=False),
    case("nkda-paracetamol", "PARA"),
    case(
        "penicillin-and-uncoded-amoxicillin",
        "AMOX",
        {"allergy_drug": BLOCK, "allergy_uncoded": WARN},
        allergies=(PEN, ("Bactrim?", "unconfirmed")),
    ),
    # --- interactions with current medications (prescribed, not necessarily dispensed) ---------------------
    case("warfarin-ibuprofen", "IBU", {"interaction": BLOCK}, meds=("WARF",)),
    case("warfarin-aspirin", "ASA", {"interaction": BLOCK}, meds=("WARF",)),
    case("simvastatin-clarithromycin", "CLARI", {"interaction": BLOCK}, meds=("SIMVA",)),
    case("lisinopril-spironolactone", "SPIRO", {"interaction": WARN}, meds=("LISI",)),
    case("spironolactone-lisinopril", "LISI", {"interaction": WARN}, meds=("SPIRO",)),
    case("clopidogrel-omeprazole", "OMEP", {"interaction": WARN}, meds=("CLOP",)),
    case("sildenafil-nitrate", "ISMN", {"interaction": BLOCK}, meds=("SILD",)),
    case("digoxin-clarithromycin", "CLARI", {"interaction": WARN}, meds=("DIGOX",)),
    case("methotrexate-cotrimoxazole", "COTRIM", {"interaction": BLOCK}, meds=("MTX",)),
    case("stopped-warfarin-ibuprofen", "IBU", meds=("WARF:stopped",)),
    case("cancelled-warfarin-ibuprofen", "IBU", meds=("WARF:cancelled",)),
    case("paracetamol-with-warfarin", "PARA", meds=("WARF",)),
    # --- duplicate therapy -----------------------------------------------------------------------------------
    case("amoxicillin-then-coamoxiclav", "COAMOX", {"duplicate": WARN}, meds=("AMOX",)),
    case("amoxicillin-twice", "AMOX", {"duplicate": WARN}, meds=("AMOX",)),
    case("ibuprofen-naproxen", "NAPROX", {"duplicate": WARN}, meds=("IBU",)),
    case("omeprazole-pantoprazole", "PANTO", {"duplicate": WARN}, meds=("OMEP",)),
    case("warfarin-then-apixaban", "APIX", {"duplicate": WARN}, meds=("WARF",)),
    case("atorvastatin-simvastatin", "SIMVA", {"duplicate": WARN}, meds=("ATORVA",)),
    case("amoxicillin-then-flucloxacillin", "FLUCLOX", {"duplicate": WARN}, meds=("AMOX",)),
    case("amoxicillin-clarithromycin", "CLARI", meds=("AMOX",)),
    # --- renal -----------------------------------------------------------------------------------------------
    case("metformin-egfr-25", "METF", {"renal": BLOCK}, egfr=(25,)),
    case("metformin-egfr-40", "METF", {"renal": WARN}, egfr=(40,)),
    case("metformin-egfr-50", "METF", egfr=(50,)),
    case("metformin-egfr-90", "METF", egfr=(90,)),
    case("metformin-old-25-latest-50", "METF", egfr=(25, 50)),
    case("metformin-old-50-latest-25", "METF", {"renal": BLOCK}, egfr=(50, 25)),
    case("ibuprofen-egfr-25", "IBU", {"renal": BLOCK}, egfr=(25,)),
    case("ibuprofen-egfr-50", "IBU", {"renal": WARN}, egfr=(50,)),
    case("aspirin-egfr-25", "ASA", egfr=(25,)),
    case("iohexol-egfr-20", "IOHEX", {"renal": WARN}, egfr=(20,)),
    case("nitrofurantoin-egfr-40", "NITRO", {"renal": WARN}, egfr=(40,)),
    case("dabigatran-egfr-25", "DABI", {"renal": BLOCK}, egfr=(25,)),
    case("paracetamol-egfr-15", "PARA", egfr=(15,)),
    # --- several at once -------------------------------------------------------------------------------------
    case("aspirin-allergy-egfr-25-ibuprofen", "IBU", {"allergy_drug": BLOCK, "renal": BLOCK}, allergies=(("drug:aspirin", "confirmed"),), egfr=(25,)),
    case(
        "warfarin-penicillin-allergy-amoxicillin", "AMOX", {"allergy_drug": BLOCK}, allergies=(PEN,), meds=("WARF",)
    ),
    case(
        "warfarin-aspirin-allergy-egfr-25-ibuprofen",
        "IBU",
        {"allergy_drug": BLOCK, "interaction": BLOCK, "renal": BLOCK},
        allergies=(("drug:aspirin", "confirmed"),),
        meds=("WARF",),
        egfr=(25,),
    ),
]  # fmt: skip

ALERT_SEVERITY = {BLOCK: "high", WARN: "medium"}


@pytest.fixture
def people():
    return UserFactory(username="dr-table", roles=["clinician"]), UserFactory(username="rx-table", roles=["pharmacist"])


def _drug(code: str, made: dict):
    if code not in made:
        name, ingredients = FORMULARY[code]
        made[code] = commands.drug_create(
            code=code,
            generic_name=name,
            form="tablet",
            strength="1 unit",
            unit="tablet",
            unit_price=Decimal("0.10"),
            ingredients=ingredients,
        )
    return made[code]


def _patient_record(spec: Case, doctor):
    encounter = clinical.encounter_start(
        patient_id=PatientFactory().pk,
        type="inpatient",
        department_id=DepartmentFactory(code="MED", name="Medicine").pk,
        attending_id=doctor.pk,
        started_at=timezone.now() - datetime.timedelta(days=10),
    )
    patient_id = encounter.patient_id
    for text, verification in spec.allergies:
        coded = ":" in text
        clinical.allergy_record(
            patient_id=patient_id,
            allergen=text if coded else "",
            substance="" if coded else text,
            severity="moderate",
            reaction="rash",
            verification=verification,
        )
    if spec.asked and all(verification == "refuted" for _, verification in spec.allergies):
        clinical.allergy_statement_record(patient_id=patient_id, kind="nkda")
    for days_ago, value in zip(range(len(spec.egfr) + 1, 1, -1), spec.egfr, strict=False):
        clinical.lab_result_record(
            encounter_id=encounter.pk,
            test="62238-1",
            value=Decimal(value),
            resulted_at=timezone.now() - datetime.timedelta(days=days_ago),
        )
    return encounter


def _order(encounter, drug, doctor, **kwargs):
    return commands.prescription_create(
        encounter_id=encounter.pk,
        drug_id=drug.pk,
        dose="1 tablet",
        frequency="daily",
        duration_days=7,
        quantity=7,
        prescriber=doctor,
        **kwargs,
    )


def _found(findings) -> dict[str, str]:
    found = {}
    for f in findings:
        assert found.get(f.rule, f.action) == f.action, f"{f.rule} both blocks and warns"
        found[f.rule] = f.action
    return found


def _alerts_of(prescription) -> dict[str, str]:
    """The projection's alerts on this prescription, after the key-by-key refresh its change causes (run
    here directly: inside the test's transaction the refresh task would never see its own events as done)."""
    with connection.cursor() as cursor:
        assert increments.refresh(cursor, ALERTS, [("pharmacy.prescription", str(prescription.pk))]) == "1 keys"
        cursor.execute(
            f"SELECT rule, severity FROM {ALERTS.name} WHERE prescription_id = %(rx)s AND valid_from <= %(now)s "
            "AND (valid_until IS NULL OR valid_until > %(now)s)",
            {"rx": prescription.pk, "now": timezone.now()},
        )
        return dict(cursor.fetchall())


@pytest.mark.parametrize("spec", CASES)
def test_safety_table(spec: Case, people):
    doctor, pharmacist = people
    made: dict = {}
    encounter = _patient_record(spec, doctor)
    for med in spec.meds:
        code, _, ending = med.partition(":")
        course = _order(encounter, _drug(code, made), doctor, override_reason="background")
        if ending == "stopped":
            commands.prescription_stop(prescription_id=course.pk, stopped_by=doctor, reason="side effect")
        elif ending == "cancelled":
            commands.prescription_cancel(prescription_id=course.pk)
    drug = _drug(spec.drug, made)
    commands.stock_receive(
        drug_id=drug.pk,
        lot_number="L1",
        expiry_date=timezone.localdate() + datetime.timedelta(days=200),
        quantity=50,
        unit_cost=Decimal("0.05"),
    )
    blocks = {rule for rule, action in spec.expect.items() if action == BLOCK}
    before = (Prescription.objects.count(), OrderCheck.objects.count())

    # 1. Prescribing.
    if blocks:
        with pytest.raises(SafetyBlock) as refused:
            _order(encounter, drug, doctor)
        assert _found(refused.value.findings) == spec.expect
        assert refused.value.status == 409 and "override_reason" in refused.value.errors
        assert {c["rule"] for c in refused.value.extra["checks"] if c["action"] == BLOCK} == blocks
        assert (Prescription.objects.count(), OrderCheck.objects.count()) == before  # nothing written
        prescription = _order(encounter, drug, doctor, override_reason="Benefit outweighs the risk; consultant agreed")
    else:
        prescription = _order(encounter, drug, doctor)
    assert _found(prescription.findings) == spec.expect
    recorded = OrderCheck.objects.filter(prescription=prescription, stage="prescribing")
    assert {c.rule: c.action for c in recorded} == spec.expect
    for check in recorded:
        assert check.decided_by == doctor
        assert check.override_reason == (
            "Benefit outweighs the risk; consultant agreed" if check.action == BLOCK else ""
        )

    # 2. Dispensing (the pharmacist's own decision).
    on_hand = StockBatch.objects.get(drug=drug).quantity_on_hand
    if blocks:
        with pytest.raises(SafetyBlock) as refused:
            commands.medication_dispense(prescription_id=prescription.pk, dispensed_by=pharmacist)
        assert _found(refused.value.findings) == spec.expect
        assert not Dispense.objects.filter(prescription=prescription).exists()
        assert StockBatch.objects.get(drug=drug).quantity_on_hand == on_hand
        dispense = commands.medication_dispense(
            prescription_id=prescription.pk, dispensed_by=pharmacist, override_reason="Checked with the prescriber"
        )
        assert dispense.override_reason == "Checked with the prescriber" and dispense.override_by == pharmacist
    else:
        dispense = commands.medication_dispense(prescription_id=prescription.pk, dispensed_by=pharmacist)
        assert dispense.override_reason == "" and dispense.override_by is None
    assert _found(dispense.findings) == spec.expect
    assert {c.rule: c.action for c in OrderCheck.objects.filter(dispense=dispense)} == spec.expect

    # 3. The alerts projection, from the same rules (allergy_unknown is a check, not an alert).
    expected_alerts = {
        rule: "low" if rule == "allergy_unverified" else ALERT_SEVERITY[action]
        for rule, action in spec.expect.items()
        if rule != "allergy_unknown"
    }
    assert _alerts_of(prescription) == expected_alerts


def test_the_table_has_at_least_sixty_cases_and_covers_every_rule():
    assert len(CASES) >= 60
    rules = {rule for param in CASES for rule in param.values[0].expect}
    assert rules == {
        "allergy_drug",
        "allergy_cross",
        "allergy_unverified",
        "allergy_uncoded",
        "allergy_unknown",
        "interaction",
        "duplicate",
        "renal",
    }
    allowed = [param.id for param in CASES if not param.values[0].expect]
    assert len(allowed) >= 15  # the cases that must not be blocked or warned about count as much
