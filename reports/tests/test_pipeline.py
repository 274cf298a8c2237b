"""The read side on the real stack: outbox -> relay -> worker -> views (on the standbys) and Redis."""

import datetime
import itertools
import time
from decimal import Decimal

from django.db import connections, transaction
from django.utils import timezone

from billing import commands as billing
from reports.engine import refresh, store
from reports.engine.reconcile import reconcile
from reports.models import ProjectionState
from reports.projections import REGISTRY
from tests.support.factories.billing import PayerFactory, issued_invoice
from tests.support.read_side import redis_outstanding_cents
from tests.support.stack import on_stack, stack_ctl, standbys, wait_replayed, wait_until

pytestmark = on_stack


def in_view_on_standby(invoice, alias: str) -> bool:
    """Does today's AR view (the one that follows every write) on `alias` hold the invoice's balance?"""
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(sum(outstanding), 0) FROM reports_ar_open WHERE payer_id = %s AND posting_date = %s",
            [invoice.payer_id, invoice.posting_date],
        )
        return cursor.fetchone()[0] == invoice.total


def test_a_committed_invoice_reaches_the_view_on_the_standby_and_redis_and_a_rolled_back_one_never_does(
    celery_worker_process,
):
    class RolledBack(Exception):
        pass

    try:
        with transaction.atomic():
            doomed = issued_invoice("999.00")
            raise RolledBack
    except RolledBack:
        pass

    started = time.monotonic()
    invoice = issued_invoice("250.00")
    wait_until(lambda: redis_outstanding_cents() == 25000, timeout=15, message="Redis AR summary")
    to_redis = time.monotonic() - started
    for alias in standbys():
        wait_until(lambda alias=alias: in_view_on_standby(invoice, alias), timeout=15, message=f"view on {alias}")
    to_standbys = time.monotonic() - started
    print(f"\ncommit -> visible: Redis {to_redis:.2f} s, views on every standby {to_standbys:.2f} s")

    assert not any(in_view_on_standby(doomed, alias) for alias in standbys())
    assert redis_outstanding_cents() == 25000  # the rolled-back 999.00 never counted


def test_with_the_broker_down_writes_succeed_and_the_outbox_drains_when_it_returns(celery_worker_process):
    issued_invoice("10.00")
    wait_until(lambda: redis_outstanding_cents() == 1000, timeout=15, message="first summary")
    stack_ctl("stop-redis")
    try:
        written = [issued_invoice("1.00") for _ in range(50)]
        assert len(written) == 50  # every write succeeded with the broker gone
    finally:
        stack_ctl("start-redis")
    # Nothing was enqueued for those 50 writes: the worker's beat sweep finds their outbox events.
    wait_until(
        lambda: redis_outstanding_cents() == 6000,
        timeout=60,
        message="outbox to drain",
        describe=lambda: f"outstanding {redis_outstanding_cents()}, state {list(ProjectionState.objects.values())}",
    )
    run = reconcile("ar_aging")
    assert not run.drift, run.as_dict()


def test_a_burst_of_1000_writes_causes_few_refreshes_and_exact_final_numbers(celery_worker_process):
    invoice = issued_invoice("2000.00")
    wait_until(lambda: redis_outstanding_cents() == 200000, timeout=15, message="first summary")
    before = {s.name: s.refresh_count for s in ProjectionState.objects.using("default").all()}

    started = time.monotonic()
    for _ in range(1000):
        billing.payment_record(invoice_id=invoice.pk, amount=Decimal("1.00"), method="cash")
    burst = time.monotonic() - started

    wait_until(lambda: redis_outstanding_cents() == 100000, timeout=30, message="final numbers")
    time.sleep(2)  # let any trailing refresh finish before counting
    after = {s.name: s.refresh_count for s in ProjectionState.objects.using("default").all()}
    refreshes = {name: after[name] - before.get(name, 0) for name in ("ar_aging", "revenue")}
    print(f"\n1000 payments in {burst:.1f} s -> refreshes: {refreshes}")
    # At most one refresh per PROJECTION_MIN_INTERVAL_SECONDS (0.5 s) during the burst, plus the trailing one.
    for name, count in refreshes.items():
        assert 1 <= count <= burst / 0.5 + 3, (name, count)
    revenue = store.read_hash("revenue", "summary")
    assert int(revenue["today:collected"]) == 100000
    assert not reconcile("ar_aging").drift and not reconcile("revenue").drift


def test_drift_in_redis_and_in_a_view_is_detected_and_repaired():
    invoice = issued_invoice("300.00")
    refresh.refresh("ar_aging")
    assert redis_outstanding_cents() == 30000

    # Drift in Redis: a summary field overwritten by hand.
    store.redis().hset("hmis:proj:ar_aging:summary", "all:outstanding", "1")
    run = reconcile("ar_aging")
    assert run.summary_fields_differing >= 1 and run.repaired
    assert run.largest_difference == Decimal("299.99")
    assert any("all:outstanding" in k for k in run.sample_keys)
    assert redis_outstanding_cents() == 30000

    # Drift in the view: the write model changed behind the outbox's back (raw SQL, no events).
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "INSERT INTO billing_payment (invoice_id, amount, method, reference, paid_on, received_at) "
            "VALUES (%s, 100, 'cash', 'raw', CURRENT_DATE, now())",
            [invoice.pk],
        )
        cursor.execute(
            "UPDATE billing_invoice SET amount_paid = 100, status = 'partially_paid' WHERE id = %s", [invoice.pk]
        )
    run = reconcile("ar_aging")
    assert run.view_rows_differing >= 1 and run.repaired
    assert run.largest_difference == Decimal("100.00")
    assert redis_outstanding_cents() == 20000
    assert not reconcile("ar_aging").drift


def test_every_projection_reconciles_clean_after_a_full_refresh():
    issued_invoice("42.00")
    for name in REGISTRY:
        refresh.refresh(name, force=True)
        assert not reconcile(name).drift, name


def test_freshness_is_recorded_and_reported():
    from reports import queries

    issued_invoice("12.00")
    refresh.refresh("ar_aging")
    state = ProjectionState.objects.using("default").get(name="ar_aging")
    assert state.refresh_count >= 1 and state.lsn and state.snapshot
    answer = queries.ar_aging()
    assert answer["source"] == "redis"
    assert answer["totals"]["outstanding"] == Decimal("12.00")
    assert 0 <= answer["stale_seconds"] < 30 and answer["refreshed_at"]

    store.redis().delete("hmis:proj:ar_aging:meta")  # Redis lost its summary: the view answers
    wait_replayed()
    from core.routing import state as routing_state

    with routing_state.unit_of_work():
        answer = queries.ar_aging()
    assert answer["source"] == "materialized_view" and answer["database"] in standbys()
    assert answer["totals"]["outstanding"] == Decimal("12.00")


def _independent_aging(invoices, as_of, basis, ranges=(30, 60, 90, 120)):
    """Per invoice: outstanding at as_of from its own payments/credits, and its bucket. Plain Python; buckets
    by label, as the page shows them."""
    edges = [0, *ranges]
    names = ["Not due"] + [f"{lo + (1 if i else 0)}-{hi}" for i, (lo, hi) in enumerate(itertools.pairwise(edges))]
    names.append(f"{ranges[-1] + 1}+")
    totals = dict.fromkeys(["outstanding", *names], Decimal("0.00"))
    for invoice in invoices:
        if invoice.posting_date > as_of:
            continue
        paid = sum((p.amount for p in invoice.payments.all() if p.paid_on <= as_of), Decimal(0))
        credited = sum((c.amount for c in invoice.credit_notes.all() if c.credited_on <= as_of), Decimal(0))
        outstanding = invoice.total - paid - credited
        if outstanding == 0:
            continue
        age = (as_of - (invoice.due_date if basis == "due_date" else invoice.posting_date)).days
        if age < 0:
            bucket = "Not due"
        elif age > ranges[-1]:
            bucket = names[-1]
        else:
            bucket = next(names[i + 1] for i in range(len(ranges)) if age <= ranges[i])
        totals["outstanding"] += outstanding
        totals[bucket] += outstanding
    return totals


def test_ar_aging_buckets_equal_an_independent_calculation_at_three_as_of_dates():
    from billing.models import Invoice
    from reports import queries

    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    acme, self_pay = PayerFactory(name="Acme", payment_terms_days=30), PayerFactory(name="Cash", payment_terms_days=0)
    specs = [  # (posting days ago, payer, amount, [(payment days ago, amount)], [(credit days ago, amount)])
        (200, acme, "500.00", [(150, "100.00"), (10, "50.00")], []),
        (130, acme, "320.00", [], [(5, "20.00")]),
        (95, self_pay, "80.00", [(90, "80.00")], []),
        (70, acme, "1000.00", [(40, "250.00")], [(39, "50.00")]),
        (45, self_pay, "60.00", [], []),
        (20, acme, "75.50", [(1, "75.50")], []),
        (3, self_pay, "19.99", [], []),
        (0, acme, "44.00", [], []),
    ]
    for ago, payer, amount, payments, credits in specs:
        invoice = issued_invoice(amount, payer=payer, posting_date=today - ago * day)
        for paid_ago, paid in payments:
            billing.payment_record(
                invoice_id=invoice.pk, amount=Decimal(paid), method="cash", paid_on=today - paid_ago * day
            )
        for credit_ago, credit in credits:
            billing.credit_note_create(
                invoice_id=invoice.pk, amount=Decimal(credit), reason="adj", credited_on=today - credit_ago * day
            )
    refresh.refresh("ar_aging")
    refresh.refresh("ar_ledger")  # other dates than today come from the ledger: its history, then
    refresh.refresh("ar_ledger_recent")  # the entries from the history's cutoff on
    invoices = list(Invoice.objects.prefetch_related("payments", "credit_notes"))

    for as_of in (today, today - 30 * day, today - 100 * day):
        for basis in ("due_date", "posting_date"):
            answer = queries.ar_aging(as_of=as_of, basis=basis, group_by="payer")
            expected = _independent_aging(invoices, as_of, basis)
            totals = answer["totals"]
            found = {"outstanding": totals["outstanding"], **{b["label"]: b["amount"] for b in totals["buckets"]}}
            assert found == expected, (as_of, basis)
            assert [b["label"] for b in answer["buckets"]] == [b["label"] for b in totals["buckets"]]
            for row in answer["rows"]:
                assert sum(b["amount"] for b in row["buckets"]) == row["outstanding"], row
            assert sum(b["amount"] for b in totals["buckets"]) == totals["outstanding"]
    assert queries.ar_aging()["source"] == "redis"  # today, due-date basis, default ranges: the summary


def test_the_live_boards_are_refreshed_from_a_queue_of_their_own():
    """Production runs a worker on the `live` queue alone (Procfile): a bed board or clinic queue refresh
    must land there, never behind a costly refresh on the default queue."""
    from celery import current_app as app

    from core.events import outbox

    assert {name for name, p in REGISTRY.items() if p.live} == {"bed_board", "queue_board"}
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        for queue in ("celery", outbox.LIVE_QUEUE):
            channel.queue_purge(queue)
        store.redis().delete(*(outbox._queued_flag(n) for n in ("bed_board", "population_health")))
        assert outbox.enqueue_refresh("bed_board") and outbox.enqueue_refresh("population_health")
        assert channel.client.llen(outbox.LIVE_QUEUE) == 1
        assert channel.client.llen("celery") == 1
        channel.queue_purge(outbox.LIVE_QUEUE)
        channel.queue_purge("celery")
    store.redis().delete(*(outbox._queued_flag(n) for n in ("bed_board", "population_health")))
