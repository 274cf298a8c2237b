"""A small shipped table of well-known drug-drug interactions, by active ingredient (Drug.ingredients).

Each entry pairs two groups of ingredients: any ingredient of the first group in one current prescription
with any of the second in another is an interaction (pharmacy/safety/engine.py): "high" blocks the order
(an override reason lets it through), "medium" warns; the same finding is a patient alert.
Not a complete interaction database; the ones a ward pharmacist would call about.

The checks read this table as `pharmacy_interaction_pair`, rewritten from it after every migrate
(pharmacy/safety/tables.py); the alerts are then recomputed.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Interaction:
    first: tuple[str, ...]
    second: tuple[str, ...]
    severity: str  # "high" (avoid the combination) or "medium" (monitor)
    effect: str


ACE_INHIBITORS = ("captopril", "enalapril", "lisinopril", "perindopril", "ramipril")
POTASSIUM_RAISING = ("amiloride", "eplerenone", "potassium chloride", "spironolactone")
NITRATES = ("glyceryl trinitrate", "isosorbide dinitrate", "isosorbide mononitrate", "nitroglycerin")
PDE5_INHIBITORS = ("sildenafil", "tadalafil", "vardenafil")
ANTIPLATELET_NSAIDS = ("aspirin", "diclofenac", "ibuprofen", "naproxen")
MACROLIDES_AZOLES = ("clarithromycin", "erythromycin", "itraconazole", "ketoconazole")

INTERACTIONS: tuple[Interaction, ...] = (
    Interaction(("warfarin",), ANTIPLATELET_NSAIDS, "high", "bleeding risk"),
    Interaction(("simvastatin",), MACROLIDES_AZOLES, "high", "myopathy and rhabdomyolysis (CYP3A4 inhibition)"),
    Interaction(ACE_INHIBITORS, POTASSIUM_RAISING, "medium", "hyperkalaemia; monitor potassium"),
    Interaction(PDE5_INHIBITORS, NITRATES, "high", "severe hypotension"),
    Interaction(("methotrexate",), ("trimethoprim",), "high", "bone-marrow suppression (antifolate)"),
    Interaction(("clopidogrel",), ("omeprazole", "esomeprazole"), "medium", "reduced antiplatelet effect"),
    Interaction(("digoxin",), ("amiodarone", "clarithromycin", "verapamil"), "medium", "digoxin toxicity"),
)


def pairs() -> list[tuple[str, str, str, str]]:
    """(ingredient, other ingredient, severity, effect) for every pair the table names, one direction."""
    return [(a, b, i.severity, i.effect) for i in INTERACTIONS for a in i.first for b in i.second]
