"""AR aging says the same under every grouping: by payer, by patient, by invoice and in all, on any date,
on either basis and with any buckets; and each equals a plain calculation over the invoices.
(A finance officer found 80.00 by payer and 90.00 by patient for the same payer and date.)"""

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from billing import commands as billing
from reports.engine import refresh
from reports.projections import REGISTRY
from tests.support.factories.billing import PayerFactory, ServiceFactory
from tests.support.factories.clinical import PatientFactory, UserFactory
from tests.support.stack import on_stack, sign_in, wait_replayed

pytestmark = on_stack
TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
CENT = Decimal("0.01")


def build_ledger(seed: int = 18) -> list[dict]:
    """Invoices over 200 days for three payers and five patients (patients change payer), with partial
    payments and credit notes on days between posting and today. Returns what a clerk would write down."""
    rng = random.Random(seed)
    payers = [PayerFactory(name=n, payment_terms_days=t) for n, t in (("Acme", 30), ("Cash", 0), ("Mutual", 60))]
    patients = [PatientFactory(family_name=f"Ledger{i}") for i in range(5)]
    services = [ServiceFactory(price=Decimal(p)) for p in ("80.00", "20.00", "35.50")]
    ledger = []
    for _ in range(14):
        posted = TODAY - rng.randrange(0, 200) * DAY
        lines = [{"service": s.pk, "quantity": rng.randint(1, 3)} for s in rng.sample(services, rng.randint(1, 3))]
        invoice = billing.invoice_create(
            patient_id=rng.choice(patients).pk, payer_id=rng.choice(payers).pk, posting_date=posted, lines=lines
        )
        invoice = billing.invoice_issue(invoice_id=invoice.pk)
        entry = {"posted": posted, "due": invoice.due_date, "total": invoice.total, "moves": []}
        left = invoice.total
        for kind in rng.sample(["pay", "pay", "credit", None], 2):
            if kind is None or left <= 1:
                continue
            amount = (left * Decimal(rng.choice(["0.25", "0.5", "1"]))).quantize(CENT)
            on = posted + rng.randrange(0, (TODAY - posted).days + 1) * DAY
            if kind == "pay":
                billing.payment_record(invoice_id=invoice.pk, amount=amount, method="cash", paid_on=on)
            else:
                billing.credit_note_create(invoice_id=invoice.pk, amount=amount, reason="adjustment", credited_on=on)
            entry["moves"].append((on, amount))
            left -= amount
        ledger.append(entry)
    return ledger


def outstanding(ledger, as_of) -> Decimal:
    return sum(
        (
            e["total"] - sum((a for on, a in e["moves"] if on <= as_of), Decimal(0))
            for e in ledger
            if e["posted"] <= as_of
        ),
        Decimal("0.00"),
    )


def test_every_grouping_gives_the_same_buckets_and_the_plain_total(client):
    ledger = build_ledger()
    for name in REGISTRY:
        refresh.refresh(name, force=True)
    wait_replayed()
    sign_in(client, UserFactory(username="finance-officer", roles=["billing_clerk"]))
    for as_of in (TODAY, TODAY - 30 * DAY, TODAY - 95 * DAY, TODAY - 199 * DAY):
        for basis in ("due_date", "posting_date"):
            for ranges in ("", "15,45"):
                answers = {}
                for group_by in ("payer", "patient", "invoice"):
                    params = {"as_of": as_of.isoformat(), "basis": basis, "ranges": ranges, "group_by": group_by}
                    body = client.get("/api/v1/reports/ar-aging/", params).json()
                    labels = [b["label"] for b in body["buckets"]]
                    sums = {
                        label: sum((Decimal(r["buckets"][i]["amount"]) for r in body["rows"]), Decimal(0))
                        for i, label in enumerate(labels)
                    }
                    sums["outstanding"] = sum((Decimal(r["outstanding"]) for r in body["rows"]), Decimal(0))
                    assert sum(sums[b] for b in labels) == sums["outstanding"], (group_by, as_of, basis)
                    answers[group_by] = sums
                case = (as_of, basis, ranges)
                assert answers["payer"] == answers["patient"] == answers["invoice"], case
                assert answers["payer"]["outstanding"] == outstanding(ledger, as_of), case
