"""Allergies and allergy statements (the part of `Hospital` that records what patients said when asked).

Most patients were asked: about 78 % have a current "no known drug allergies" statement, 15 % have one or
more coded allergies (drug classes and ingredients at roughly their reported prevalence: penicillin first,
then sulfonamides, NSAIDs, opioids; some food and environmental ones), a few of them an uncoded free-text
one; the rest were never asked. Draws come from a generator of their own (seeded from the seed), so adding
this part changed none of the other rows a seed gives.
"""

import random

from clinical import allergens
from ops.datagen.loader import NULL
from ops.datagen.rows import DAY, Weighted, stamp, text

# (allergen code, weight): reported prevalence among patients with any allergy, roughly.
ALLERGENS = (
    ("class:penicillins", 30),
    ("drug:amoxicillin", 8),
    ("class:sulfonamide-antibiotics", 14),
    ("class:nsaids", 8),
    ("class:opioids", 7),
    ("drug:codeine", 5),
    ("class:cephalosporins", 4),
    ("class:macrolides", 4),
    ("class:iodinated-contrast", 3),
    ("class:ace-inhibitors", 2),
    ("class:fluoroquinolones", 2),
    ("class:tetracyclines", 1.5),
    ("class:statins", 1),
    ("env:latex", 4),
    ("env:adhesive", 3),
    ("food:peanut", 3),
    ("food:shellfish", 3),
    ("food:egg", 1.5),
    ("env:bee-venom", 1),
)
REACTIONS = Weighted(
    [
        ("Rash", "mild"),
        ("Hives", "moderate"),
        ("Nausea", "mild"),
        ("Swelling of the face", "severe"),
        ("Anaphylaxis", "severe"),
        ("Wheeze", "moderate"),
    ],
    [40, 25, 12, 10, 5, 8],
)
FREE_TEXT = ("Sticking plaster", "Blue dye", "Hospital soap", "Mango")


class Allergies:
    def _write_allergies(self) -> None:
        rng = random.Random(self.seed * 7919 + 20)  # noqa: S311 (synthetic data, not security)
        known = allergens.ALLERGENS
        codes = [code for code, _ in ALLERGENS if code in known]
        pick = Weighted(codes, [w for code, w in ALLERGENS if code in known])
        allergies, statements = self.t["allergies"], self.t["allergy_statements"]
        allergy_id, statement_id = self.base["clinical_allergy"], self.base["clinical_allergystatement"]
        for pid in self.patient_ids:
            asked_at = self.start + rng.randint(0, self.cutoff - self.start - DAY)
            by = rng.choice(self.clinicians)
            u = rng.random()
            if u < 0.78:
                statement_id += 1
                statements.add(f"{statement_id}\t{pid}\tnkda\t{stamp(asked_at)}\t{by}\t{NULL}\t")
            elif u < 0.93:
                chosen = {pick.draw(rng) for _ in range(1 if rng.random() < 0.8 else 2)}
                for code in sorted(chosen):
                    allergen = known[code]
                    reaction, severity = REACTIONS.draw(rng)
                    verification = "confirmed" if rng.random() < 0.4 else "unconfirmed"
                    allergy_id += 1
                    allergies.add(
                        f"{allergy_id}\t{pid}\t{code}\t{text(allergen.name)}\t{allergen.category}\t{reaction}\t"
                        f"{severity}\t{verification}\t{NULL}\t{stamp(asked_at)}\t{by}"
                    )
                if rng.random() < 0.03:
                    allergy_id += 1
                    allergies.add(
                        f"{allergy_id}\t{pid}\t\t{rng.choice(FREE_TEXT)}\tenvironment\tRash\tmild\tunconfirmed\t"
                        f"{NULL}\t{stamp(asked_at)}\t{by}"
                    )
