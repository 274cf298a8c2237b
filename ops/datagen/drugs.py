"""The formulary, its stock batches and what is dispensed from them (the part of `Hospital` that plans the
drugs and batches, writes a prescription, a dispense and its charge line for each dispensing, and finally
the batches with the receipts and write-offs that make their stock equal their movements)."""

import random
from decimal import Decimal

from ops.datagen import catalog
from ops.datagen.loader import NULL
from ops.datagen.rows import DAY, Weighted, cents_of, day_of, money, stamp

GENERATED_DRUG_PREFIX = "GD"


class Drugs:
    def _plan_drugs(self) -> None:
        rng, n = self.rng, self.counts.drugs
        variants = [
            (generic, strength, form, price, qty)
            for generic, strengths, forms, price, qty in catalog.DRUGS
            for strength in strengths
            for form in forms
        ]
        self.drugs = []  # (id, name for the line, price cents, usual quantity, batches [(id, received, expiry)])
        self.drug_rows = []
        for i in range(n):
            generic, strength, form, price, qty = variants[i % len(variants)]
            supplier = i // len(variants)
            price_cents = max(1, round(cents_of(Decimal(price)) * (1 + 0.07 * (supplier % 5) - 0.1)))
            ingredients = ",".join(f'"{part.lower()}"' for part in generic.split(" and "))
            drug_id = self.base["pharmacy_drug"] + i + 1
            self.drug_rows.append(
                f"{drug_id}\t{GENERATED_DRUG_PREFIX}{i + 1:05d}\t{generic}\t{form}\t{strength}\t"
                f"{catalog.UNIT_OF_FORM[form]}\t{money(price_cents)}\t{qty * 10}\t{{{ingredients}}}\tt"
            )
            self.drugs.append((drug_id, f"{generic} {strength} {form}", price_cents, qty, []))
        # Popularity falls off with rank; suppliers of the same product share its popularity.
        self.drug_pick = Weighted(range(n), [1 / ((i % len(variants)) + 1) ** 0.9 for i in range(n)])
        # Batches: each drug is restocked at even intervals; shelf life about two years.
        per_drug, extra = divmod(self.counts.batches, n)
        batch_id = self.base["pharmacy_stockbatch"]
        first = self.start - 60 * DAY
        for index, drug in enumerate(self.drugs):
            count = per_drug + (1 if index < extra else 0)
            interval = (self.cutoff - first) / max(count, 1)
            for k in range(count):
                batch_id += 1
                received = int(first + k * interval) + rng.randint(0, 5) * DAY
                expiry = received + (730 + rng.randint(0, 120)) * DAY
                drug[4].append([batch_id, received, expiry, 0])  # allocated so far
        self.rng_batches = random.Random(self.seed + 1)  # noqa: S311

    def _write_drugs(self) -> None:
        for row in self.drug_rows:
            self.t["drugs"].add(row)

    def _batch_for(self, drug, at: int):
        """First expiry, first out: the oldest batch already received and good for another month."""
        usable = [b for b in drug[4] if b[1] <= at and b[2] > at + 30 * DAY]
        return usable[0] if usable else drug[4][0]

    def _dispense(self, rng, ids, *, invoice_id: int, eid: int, attending: int, at: int, last: int) -> int:
        """One drug prescribed at encounter `eid` and dispensed between `at` and `last`, charged on the
        invoice; returns the charge in cents."""
        t = self.t
        drug = self.drugs[self.drug_pick.draw(rng)]
        drug_id, label, price, usual, _batches = drug
        quantity = max(1, round(usual * rng.uniform(0.5, 1.5)))
        given = min(last, at + rng.randint(20 * 60, max(20 * 60, last - at)))
        batch = self._batch_for(drug, given)
        batch[3] += quantity
        ids["line"] += 1
        t["lines"].add(
            f"{ids['line']}\t{invoice_id}\t{NULL}\t{label}\t{quantity}\t{money(price)}\t0.00\t{money(price * quantity)}"
        )
        ids["rx"] += 1
        ids["dispense"] += 1
        ids["alloc"] += 1
        ids["move"] += 1
        t["prescriptions"].add(
            f"{ids['rx']}\t{eid}\t{drug_id}\t1 {label.split()[-1]}\t{rng.choice(catalog.FREQUENCIES)}\t"
            f"{rng.randint(3, 30)}\t{quantity}\t{quantity}\t{attending}\tdispensed\t\t{stamp(given - 900)}"
        )
        t["dispenses"].add(
            f"{ids['dispense']}\t{ids['rx']}\t{quantity}\t{rng.choice(self.pharmacists)}\t"
            f"{stamp(given)}\t\t{NULL}\t{ids['line']}"
        )
        t["allocations"].add(f"{ids['alloc']}\t{ids['dispense']}\t{batch[0]}\t{quantity}")
        t["movements"].add(
            f"{ids['move']}\t{batch[0]}\tdispense\t{-quantity}\t\t\t{ids['dispense']}\t{stamp(given)}\t{NULL}"
        )
        return price * quantity

    def _write_batches_and_receipts(self) -> None:
        rng = self.rng_batches
        move = self.ids["move"]
        for drug_id, _label, price, _usual, batches in self.drugs:
            for k, (batch_id, received, expiry, allocated) in enumerate(batches):
                leftover = rng.randint(0, 30) * 10
                received_qty = allocated + leftover or 100
                on_hand = received_qty - allocated
                move += 1
                self.t["movements"].add(
                    f"{move}\t{batch_id}\treceipt\t{received_qty}\t\t\t{NULL}\t{stamp(received)}\t{NULL}"
                )
                if expiry < self.cutoff and on_hand:  # written off when it expired
                    move += 1
                    self.t["movements"].add(
                        f"{move}\t{batch_id}\tadjustment\t{-on_hand}\texpired\t"
                        f"Expired stock destroyed\t{NULL}\t{stamp(expiry)}\t{NULL}"
                    )
                    on_hand = 0
                self.t["batches"].add(
                    f"{batch_id}\t{drug_id}\tL{drug_id}-{k + 1:03d}\t{day_of(expiry)}\t{on_hand}\t"
                    f"{money(price * 6 // 10)}\t{stamp(received)}"
                )
