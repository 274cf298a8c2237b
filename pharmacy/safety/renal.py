"""Renal contraindications: drugs to avoid or review below an eGFR, judged on the patient's latest eGFR.

The latest eGFR is the most recent result of either eGFR test on the lab list (MDRD 33914-3, CKD-EPI
62238-1; clinical/lab_tests.py), however old: the finding says when it was measured. Thresholds are the
product labels' and the renal guidance hospitals apply (FDA metformin labelling 2016; KDIGO 2012 for
NSAIDs; ACR-NKF 2020 consensus for iodinated contrast; BNF for nitrofurantoin; EU SmPC for dabigatran,
whose creatinine-clearance limit is applied to eGFR here). A drug matching several rows gets the
strictest (lowest threshold) that applies.

Low-dose aspirin is not in the NSAID rows: it is given for cardiovascular protection in kidney disease.

Changing this table = a projection migration (the patient-alerts view is built from it).
"""

from dataclasses import dataclass

from pharmacy.safety.classes import BY_CODE

BLOCK, WARN = "block", "warn"
EGFR_TESTS = ("33914-3", "62238-1")


@dataclass(frozen=True)
class RenalRule:
    target: str  # what the finding names: an ingredient or a class
    ingredients: tuple[str, ...]
    below: int  # eGFR, mL/min/1.73m2
    action: str
    advice: str


NSAIDS_BUT_ASPIRIN = tuple(i for i in BY_CODE["nsaids"].ingredients if i != "aspirin")

RENAL_RULES: tuple[RenalRule, ...] = (
    RenalRule("metformin", ("metformin",), 30, BLOCK, "contraindicated below eGFR 30 (lactic acidosis)"),
    RenalRule("metformin", ("metformin",), 45, WARN, "below eGFR 45: do not start; if already taking, review the dose"),
    RenalRule("NSAIDs", NSAIDS_BUT_ASPIRIN, 30, BLOCK, "avoid below eGFR 30 (acute kidney injury)"),
    RenalRule("NSAIDs", NSAIDS_BUT_ASPIRIN, 60, WARN, "below eGFR 60: avoid regular use, monitor renal function"),
    RenalRule(
        "iodinated contrast",
        BY_CODE["iodinated-contrast"].ingredients,
        30,
        WARN,
        "below eGFR 30: risk of contrast-associated kidney injury; hydrate, consider another study",
    ),
    RenalRule("nitrofurantoin", ("nitrofurantoin",), 45, WARN, "below eGFR 45: ineffective and toxic; avoid"),
    RenalRule("dabigatran", ("dabigatran",), 30, BLOCK, "contraindicated below 30 mL/min (accumulation, bleeding)"),
)
