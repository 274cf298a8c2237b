"""Invoices, their lines, payments and credit notes (the part of `Hospital` that bills each encounter in
order of discharge, charging its dispenses as it goes, and then lets the payers pay)."""

import time
from array import array

from django.db import connection

from ops.datagen import catalog
from ops.datagen.loader import NULL
from ops.datagen.rows import DAY, day_of, money, stamp


class Invoices:
    def _spread(self, total: int, weights: list[float]) -> array:
        """`total` items over len(weights) slots, exactly, drawn by weight."""
        counts = array("H", bytes(2 * len(weights)))
        for slot in self.rng.choices(range(len(weights)), weights=weights, k=total):
            counts[slot] += 1
        return counts

    def _service_lines(self, rng, i: int, at: int, end: int | None, kind: str, department: int, extra: int):
        """[(service code, quantity)] for one encounter: its visit (or ward days), then tests and procedures."""
        dep = self.department_code[department]
        own = self.department_services[dep]
        if kind == "inpatient":
            days = max(1, round(((end or self.cutoff) - at) / DAY))
            items = [(catalog.WARD_DAY.get(dep, "WARD-DAY"), days)]
        else:
            items = [(own[0], 1)]
        for _ in range(extra):
            pool = rng.random()
            if pool < 0.45:
                code = rng.choice(self.department_services["LAB"])
            elif pool < 0.65:
                code = rng.choice(self.department_services["RAD"])
            else:
                code = rng.choice(own)
            items.append((code, 1))
        return items

    def _write_billing_and_dispenses(self) -> None:
        rng = self.rng
        c, n = self.counts, len(self.encounters)
        weight = {"outpatient": 1.0, "emergency": 1.6, "inpatient": 4.0}
        kinds = [e[2] for e in self.encounters]
        dispenses_of = self._spread(c.dispenses, [weight[k] for k in kinds])
        extra_lines_of = self._spread(max(0, c.lines - n - c.dispenses), [weight[k] for k in kinds])
        # Bill in order of discharge, so that numbers follow issue order within each year.
        order = sorted(range(n), key=lambda i: self.encounters[i][1] or self.encounters[i][0])
        cursor = connection.cursor()
        cursor.execute("SELECT year, last_number FROM billing_invoicecounter")
        self.counters = dict(cursor.fetchall())
        ids = {
            k: self.base[t]
            for k, t in (
                ("invoice", "billing_invoice"),
                ("line", "billing_invoiceline"),
                ("payment", "billing_payment"),
                ("credit", "billing_creditnote"),
                ("rx", "pharmacy_prescription"),
                ("dispense", "pharmacy_dispense"),
                ("alloc", "pharmacy_dispenseallocation"),
                ("move", "pharmacy_stockmovement"),
            )
        }
        t = self.t
        self.ward_day_line: dict[int, int] = {}
        for i in order:
            at, end, kind, department, patient, attending = self.encounters[i]
            eid = self.enc_base + i + 1
            ids["invoice"] += 1
            invoice_id = ids["invoice"]
            subtotal = discount_total = 0
            for n, (code, quantity) in enumerate(
                self._service_lines(rng, i, at, end, kind, department, extra_lines_of[i])
            ):
                service_id, price, name = self.services[code]
                gross = price * quantity
                discount = gross // 10 if rng.random() < 0.04 else 0
                subtotal += gross
                discount_total += discount
                ids["line"] += 1
                if n == 0 and kind == "inpatient":  # the ward days: what the stay's bed-day charges point at
                    self.ward_day_line[i] = ids["line"]
                t["lines"].add(
                    f"{ids['line']}\t{invoice_id}\t{service_id}\t{name}\t{quantity}\t{money(price)}\t"
                    f"{money(discount)}\t{money(gross - discount)}"
                )
            last = (end or self.cutoff) - 60
            for _ in range(dispenses_of[i]):
                subtotal += self._dispense(
                    rng, ids, invoice_id=invoice_id, eid=eid, attending=attending, at=at, last=last
                )
            self._write_invoice(rng, ids, invoice_id, eid, patient, at, end, subtotal, discount_total)
        self.ids = ids

    def _write_invoice(self, rng, ids, invoice_id, eid, patient, at, end, subtotal, discount_total) -> None:
        payer_id, payer_kind, terms, lag = self.payers[self.patient_payer_of[patient]]
        total = subtotal - discount_total
        pid = self.patient_ids[patient]
        if end is None:  # still in hospital: a draft
            posting = at - at % DAY
            self.t["invoices"].add(
                f"{invoice_id}\t{NULL}\t{pid}\t{eid}\t{payer_id}\tdraft\t{day_of(posting)}\t"
                f"{day_of(posting + terms * DAY)}\t{money(subtotal)}\t{money(discount_total)}\t{money(total)}\t"
                f"0.00\t0.00\t\t{stamp(at)}\t{NULL}\t{NULL}\t{NULL}\t"
            )
            return
        posting = end - end % DAY
        issued = end + 300
        year = time.gmtime(posting).tm_year
        self.counters[year] = self.counters.get(year, 0) + 1
        number = f"INV-{year}-{self.counters[year]:06d}"
        last_day = self.cutoff - DAY  # the last day of history
        due = day_of(posting + terms * DAY)
        common = (
            f"{invoice_id}\t{number}\t{pid}\t{eid}\t{payer_id}\t{{status}}\t{day_of(posting)}\t{due}\t"
            f"{money(subtotal)}\t{money(discount_total)}\t{money(total)}\t"
        )
        voided_at = issued + rng.randint(1, 10) * DAY
        if rng.random() < 0.015 and voided_at < self.cutoff:
            self.t["invoices"].add(
                common.format(status="void") + f"0.00\t0.00\t\t{stamp(at)}\t{NULL}\t{stamp(issued)}\t"
                f"{stamp(voided_at)}\tRaised in error"
            )
            return
        credited = 0
        if rng.random() < 0.03:
            on = posting + rng.randint(5, 40) * DAY
            if on <= last_day:
                credited = total if rng.random() < 0.3 else max(1, round(total * rng.uniform(0.1, 0.5)))
                ids["credit"] += 1
                self.t["credits"].add(
                    f"{ids['credit']}\t{invoice_id}\t{money(credited)}\t"
                    f"{rng.choice(('Billing error', 'Goodwill', 'Insurer adjustment'))}\t"
                    f"{day_of(on)}\t{stamp(on + 10 * 3600)}\t{NULL}"
                )
        due_amount, paid = total - credited, 0
        outcome = rng.random()
        if due_amount > 0 and outcome < 0.82:
            pay_on = posting + rng.randint(*lag) * DAY
            amounts = []
            if outcome < 0.72:  # in full, sometimes in two instalments
                if rng.random() < 0.1 and due_amount > 1:
                    first = max(1, round(due_amount * rng.uniform(0.3, 0.7)))
                    amounts = [(first, pay_on), (due_amount - first, pay_on + rng.randint(10, 40) * DAY)]
                else:
                    amounts = [(due_amount, pay_on)]
            else:  # in part
                amounts = [(max(1, round(due_amount * rng.uniform(0.2, 0.8))), pay_on)]
            for amount, on in amounts:
                if on > last_day:
                    break
                method = (
                    "insurance"
                    if payer_kind != "self_pay"
                    else rng.choice(("cash", "card", "card", "mobile", "bank_transfer"))
                )
                ids["payment"] += 1
                self.t["payments"].add(
                    f"{ids['payment']}\t{invoice_id}\t{money(amount)}\t{method}\t"
                    f"R{ids['payment']:08d}\t{day_of(on)}\t{stamp(on + 11 * 3600)}\t{NULL}"
                )
                paid += amount
        written_off_on = posting + (365 + rng.randint(0, 45)) * DAY
        if paid + credited < total and written_off_on <= last_day:  # a year unpaid: written off as bad debt
            remainder = total - paid - credited
            credited += remainder
            ids["credit"] += 1
            self.t["credits"].add(
                f"{ids['credit']}\t{invoice_id}\t{money(remainder)}\tBad debt written off\t{day_of(written_off_on)}\t"
                f"{stamp(written_off_on + 10 * 3600)}\t{NULL}"
            )
        if paid + credited == total:
            status = "paid"
        elif paid > 0:
            status = "partially_paid"
        else:
            status = "issued"
        self.t["invoices"].add(
            common.format(status=status) + f"{money(paid)}\t{money(credited)}\t\t{stamp(at)}\t{NULL}\t"
            f"{stamp(issued)}\t{NULL}\t"
        )
