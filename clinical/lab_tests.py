"""The lab tests we record: a small curated list of LOINC codes with unit, reference range and critical limits.

Codes and names are LOINC's (code with its mod-10 check digit, long common name). Units are the ones the
laboratory reports in; a result in another unit must be converted before it is recorded. Reference
ranges are adult defaults (a result may carry the laboratory's own); critical limits are the hospital's
call-back values: a result beyond them is flagged critical and raises a patient alert for 7 days.
`plausible` bounds catch typing and unit errors (a potassium of 45 is mmol/L typed as mg/dL, or a slip).

Changing this list changes the LabResult.test_code choices: make a migration.
"""

from dataclasses import dataclass
from decimal import Decimal as D


@dataclass(frozen=True)
class LabTest:
    code: str  # LOINC
    name: str  # short, as shown on the chart
    loinc_name: str  # LOINC long common name
    unit: str
    low: D | None  # reference range (normal when low <= value <= high)
    high: D | None
    critical_low: D | None  # critical when value < critical_low or value > critical_high
    critical_high: D | None
    plausible: tuple[D, D]

    @property
    def label(self) -> str:
        return f"{self.name} ({self.unit}) — LOINC {self.code}"


HBA1C = "4548-4"

LAB_TESTS: dict[str, LabTest] = {
    t.code: t
    for t in (
        LabTest(
            HBA1C,
            "HbA1c",
            "Hemoglobin A1c/Hemoglobin.total in Blood",
            "%",
            D("4.0"),
            D("5.6"),
            None,
            None,
            (D("2.0"), D("25.0")),
        ),
        LabTest(
            "13457-7",
            "LDL cholesterol (calculated)",
            "Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation",
            "mg/dL",
            None,
            D("99"),
            None,
            None,
            (D("0"), D("1000")),
        ),
        LabTest(
            "18262-6",
            "LDL cholesterol (direct)",
            "Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay",
            "mg/dL",
            None,
            D("99"),
            None,
            None,
            (D("0"), D("1000")),
        ),
        LabTest(
            "2160-0",
            "Creatinine",
            "Creatinine [Mass/volume] in Serum or Plasma",
            "mg/dL",
            D("0.6"),
            D("1.3"),
            None,
            None,
            (D("0.1"), D("30.0")),
        ),
        LabTest(
            "33914-3",
            "eGFR (MDRD)",
            "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum or Plasma by "
            "Creatinine-based formula (MDRD)",
            "mL/min/1.73m2",
            D("60"),
            None,
            None,
            None,
            (D("0"), D("250")),
        ),
        LabTest(
            "62238-1",
            "eGFR (CKD-EPI)",
            "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood by "
            "Creatinine-based formula (CKD-EPI)",
            "mL/min/1.73m2",
            D("60"),
            None,
            None,
            None,
            (D("0"), D("250")),
        ),
        LabTest(
            "2823-3",
            "Potassium",
            "Potassium [Moles/volume] in Serum or Plasma",
            "mmol/L",
            D("3.5"),
            D("5.1"),
            D("2.8"),
            D("6.2"),
            (D("1.0"), D("10.0")),
        ),
        LabTest(
            "2951-2",
            "Sodium",
            "Sodium [Moles/volume] in Serum or Plasma",
            "mmol/L",
            D("135"),
            D("145"),
            D("120"),
            D("160"),
            (D("90"), D("200")),
        ),
        LabTest(
            "718-7",
            "Hemoglobin",
            "Hemoglobin [Mass/volume] in Blood",
            "g/dL",
            D("12.0"),
            D("17.5"),
            D("7.0"),
            D("20.0"),
            (D("1.0"), D("25.0")),
        ),
        LabTest(
            "2345-7",
            "Glucose",
            "Glucose [Mass/volume] in Serum or Plasma",
            "mg/dL",
            D("70"),
            D("99"),
            D("40"),
            D("450"),
            (D("5"), D("2000")),
        ),
        LabTest(
            "6301-6",
            "INR",
            "INR in Platelet poor plasma by Coagulation assay",
            "INR",
            D("0.8"),
            D("1.2"),
            None,
            D("5.0"),
            (D("0.5"), D("20.0")),
        ),
        LabTest(
            "777-3",
            "Platelets",
            "Platelets [#/volume] in Blood by Automated count",
            "10*3/uL",
            D("150"),
            D("400"),
            D("20"),
            D("1000"),
            (D("1"), D("3000")),
        ),
        LabTest(
            "6690-2",
            "White blood cells",
            "Leukocytes [#/volume] in Blood by Automated count",
            "10*3/uL",
            D("4.0"),
            D("11.0"),
            D("1.0"),
            D("30.0"),
            (D("0.1"), D("500.0")),
        ),
    )
}

CHOICES = [(t.code, f"{t.name} ({t.code})") for t in LAB_TESTS.values()]


def same_unit(given: str, expected: str) -> bool:
    """'mg/dl' is 'mg/dL'; spaces are ignored. No conversions: a different unit is a different number."""
    return given.replace(" ", "").casefold() == expected.replace(" ", "").casefold()


def flag_for(value: D, *, low: D | None, high: D | None, test: LabTest) -> str:
    """critical_low < low < normal (within [low, high], limits included) < high < critical_high."""
    if test.critical_low is not None and value < test.critical_low:
        return "critical_low"
    if test.critical_high is not None and value > test.critical_high:
        return "critical_high"
    if low is not None and value < low:
        return "low"
    if high is not None and value > high:
        return "high"
    return "normal"
