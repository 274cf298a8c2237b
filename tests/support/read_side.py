"""What tests read of the read side directly."""

from billing.models import Invoice
from clinical.models import Patient
from reports.engine import store
from reports.engine.reconcile import reconcile
from reports.projections import REGISTRY


def redis_outstanding_cents() -> int | None:
    """Total outstanding in the AR summary in Redis (None: no summary)."""
    value = store.read_hash("ar_aging", "summary").get("all:outstanding")
    return None if value is None else int(value)


def assert_nothing_lost_and_no_drift(*, patients=(), invoices=()) -> None:
    """These patients and invoices are on the primary, and every projection reconciles with zero drift."""
    primary = "default"
    assert set(Patient.objects.using(primary).filter(pk__in=patients).values_list("pk", flat=True)) == set(patients)
    assert set(Invoice.objects.using(primary).filter(pk__in=invoices).values_list("pk", flat=True)) == set(invoices)
    for name in REGISTRY:
        run = reconcile(name, repair=False)
        assert not run.view_rows_differing and not run.summary_fields_differing, (name, run.sample_keys)
