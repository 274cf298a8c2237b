"""Admission, transfer, discharge, the queue, cancellation and housekeeping, through the commands."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from billing.models import Invoice, InvoiceLine
from clinical.models import Encounter
from core.errors import Conflict, InvalidInput
from inpatient import commands
from inpatient.models import Admission, AdmissionRequest, Bed, BedAssignment, BedDayCharge
from tests.support.factories.clinical import PatientFactory, UserFactory
from tests.support.factories.inpatient import inpatient_encounter, local, ward

pytestmark = pytest.mark.django_db


def bed(w, label: str) -> Bed:
    return Bed.objects.get(ward=w, label=label)


def status(b: Bed) -> str:
    b.refresh_from_db()
    return b.status


def test_admit_transfer_discharge_cleaning_free_keeps_the_bed_history():
    a, b = ward(beds=2), ward(beds=2)
    encounter = inpatient_encounter()
    nurse, doctor = UserFactory(), UserFactory()

    admission = commands.admission_admit(encounter_id=encounter.pk, bed_id=bed(a, "1").pk, admitted_by=nurse)
    assert isinstance(admission, Admission) and admission.status == Admission.Status.ADMITTED
    assert status(bed(a, "1")) == Bed.Status.OCCUPIED

    moved = commands.admission_transfer(admission_id=admission.pk, bed_id=bed(b, "2").pk, transferred_by=nurse)
    assert status(bed(a, "1")) == Bed.Status.CLEANING
    assert status(bed(b, "2")) == Bed.Status.OCCUPIED

    ordered = commands.admission_order_discharge(
        admission_id=admission.pk, disposition="home", follow_up="GP in 1 week", ordered_by=doctor
    )
    assert ordered.discharge_ordered and status(bed(b, "2")) == Bed.Status.OCCUPIED  # the order frees nothing

    commands.admission_discharge(admission_id=admission.pk, discharged_by=nurse)
    admission.refresh_from_db()
    assert admission.status == Admission.Status.DISCHARGED and admission.follow_up == "GP in 1 week"
    assert status(bed(b, "2")) == Bed.Status.CLEANING  # not free until housekeeping says so
    assert Encounter.objects.get(pk=encounter.pk).status == Encounter.Status.CLOSED

    commands.bed_set_status(bed_id=bed(b, "2").pk, status="free")
    assert status(bed(b, "2")) == Bed.Status.FREE

    history = list(BedAssignment.objects.filter(admission=admission).order_by("started_at"))
    assert [(h.bed.ward_id, h.bed.label, h.reason) for h in history] == [
        (a.pk, "1", "admission"),
        (b.pk, "2", "transfer"),
    ]
    assert history[0].ended_at == history[1].started_at == moved.started_at
    assert history[1].ended_at == admission.discharged_at


def test_a_transfer_into_an_occupied_bed_is_refused_and_changes_nothing():
    w = ward(beds=2)
    first = commands.admission_admit(encounter_id=inpatient_encounter().pk, bed_id=bed(w, "1").pk)
    second = commands.admission_admit(encounter_id=inpatient_encounter().pk, bed_id=bed(w, "2").pk)
    with pytest.raises(Conflict) as refused:
        commands.admission_transfer(admission_id=second.pk, bed_id=bed(w, "1").pk)
    assert refused.value.status == 409 and "occupied" in str(refused.value)
    assert BedAssignment.objects.count() == 2
    assert BedAssignment.objects.filter(ended_at__isnull=False).count() == 0
    assert BedAssignment.objects.get(admission=first).bed == bed(w, "1")
    assert status(bed(w, "2")) == Bed.Status.OCCUPIED


def test_admitting_into_a_bed_that_is_not_free_is_refused():
    w = ward(beds=1)
    commands.admission_admit(encounter_id=inpatient_encounter().pk, bed_id=bed(w, "1").pk)
    late = inpatient_encounter()
    with pytest.raises(Conflict):
        commands.admission_admit(encounter_id=late.pk, bed_id=bed(w, "1").pk)
    assert not Admission.objects.filter(encounter=late).exists()
    assert not AdmissionRequest.objects.filter(encounter=late).exists()  # naming a bed never queues


def test_only_open_inpatient_encounters_are_admitted_and_only_once():
    w = ward(beds=2)
    outpatient = inpatient_encounter(type=Encounter.Type.OUTPATIENT)
    with pytest.raises(InvalidInput):
        commands.admission_admit(encounter_id=outpatient.pk, bed_id=bed(w, "1").pk)
    encounter = inpatient_encounter()
    commands.admission_admit(encounter_id=encounter.pk, bed_id=bed(w, "1").pk)
    with pytest.raises(Conflict):
        commands.admission_admit(encounter_id=encounter.pk, bed_id=bed(w, "2").pk)
    other_visit = inpatient_encounter(patient=encounter.patient)
    with pytest.raises(Conflict):  # one bed per patient, whichever encounter
        commands.admission_admit(encounter_id=other_visit.pk, bed_id=bed(w, "2").pk)
    assert status(bed(w, "2")) == Bed.Status.FREE


def test_a_full_ward_queues_the_patient_and_the_next_bed_freed_is_held_for_them():
    w = ward(beds=1)
    first = commands.admission_admit(encounter_id=inpatient_encounter().pk, ward_id=w.pk)
    routine = commands.admission_admit(encounter_id=inpatient_encounter().pk, ward_id=w.pk)
    urgent = commands.admission_admit(encounter_id=inpatient_encounter().pk, ward_id=w.pk, priority="urgent")
    assert isinstance(first, Admission)
    assert isinstance(routine, AdmissionRequest) and routine.status == AdmissionRequest.Status.WAITING
    assert Admission.objects.count() == 1

    commands.admission_order_discharge(admission_id=first.pk)
    commands.admission_discharge(admission_id=first.pk)
    commands.bed_set_status(bed_id=bed(w, "1").pk, status="free")
    held = bed(w, "1")
    assert held.status == Bed.Status.RESERVED and held.reserved_for_id == urgent.pk  # urgent goes first

    with pytest.raises(Conflict):  # held for the urgent patient, not for the routine one
        commands.admission_admit(encounter_id=routine.encounter_id, bed_id=held.pk)
    admitted = commands.admission_admit(encounter_id=urgent.encounter_id, ward_id=w.pk)
    assert isinstance(admitted, Admission) and admitted.request_id == urgent.pk
    urgent.refresh_from_db()
    assert urgent.status == AdmissionRequest.Status.ADMITTED and status(held) == Bed.Status.OCCUPIED


def test_cancelling_a_request_releases_the_bed_held_for_it_to_the_next():
    w = ward(beds=1)
    first = commands.admission_admit(encounter_id=inpatient_encounter().pk, ward_id=w.pk)
    one = commands.admission_admit(encounter_id=inpatient_encounter().pk, ward_id=w.pk)
    two = commands.admission_admit(encounter_id=inpatient_encounter().pk, ward_id=w.pk)
    commands.admission_cancel(admission_id=first.pk, reason="wrong patient")
    assert bed(w, "1").reserved_for_id == one.pk
    commands.admission_request_cancel(request_id=one.pk)
    assert bed(w, "1").reserved_for_id == two.pk


def test_discharge_waits_for_the_clinicians_order():
    w = ward(beds=1)
    admission = commands.admission_admit(encounter_id=inpatient_encounter().pk, bed_id=bed(w, "1").pk)
    with pytest.raises(Conflict):
        commands.admission_discharge(admission_id=admission.pk)
    assert status(bed(w, "1")) == Bed.Status.OCCUPIED
    assert Admission.objects.get(pk=admission.pk).status == Admission.Status.ADMITTED


def test_cancelling_an_admission_made_in_error_frees_the_bed_and_keeps_the_record():
    w = ward(beds=1)
    encounter = inpatient_encounter()
    request = commands.admission_request_create(encounter_id=encounter.pk, ward_id=w.pk)
    admission = commands.admission_admit(encounter_id=encounter.pk, bed_id=bed(w, "1").pk)
    with pytest.raises(InvalidInput):
        commands.admission_cancel(admission_id=admission.pk, reason=" ")
    commands.admission_cancel(admission_id=admission.pk, reason="Admitted the wrong patient")
    admission.refresh_from_db()
    assert admission.status == Admission.Status.CANCELLED and admission.cancel_reason == "Admitted the wrong patient"
    assert BedAssignment.objects.get(admission=admission).cancelled
    request.refresh_from_db()
    assert request.status == AdmissionRequest.Status.WAITING  # back in the queue
    # The bed is free again, so it goes straight to the request waiting for it.
    assert bed(w, "1").reserved_for_id == request.pk
    # The cancelled stay holds the bed at no time: the same patient can be admitted again at once.
    again = commands.admission_admit(encounter_id=encounter.pk, ward_id=w.pk)
    assert isinstance(again, Admission)


def test_a_stay_with_a_charged_night_cannot_be_cancelled():
    w = ward(beds=1)
    admission = commands.admission_admit(
        encounter_id=inpatient_encounter().pk, bed_id=bed(w, "1").pk, admitted_at=local(2, 10)
    )
    assert commands.bed_days_charge() == 2
    with pytest.raises(Conflict):
        commands.admission_cancel(admission_id=admission.pk, reason="error")
    assert Admission.objects.get(pk=admission.pk).status == Admission.Status.ADMITTED


def test_housekeeping_moves_beds_only_between_the_statuses_staff_set():
    w = ward(beds=1)
    b = bed(w, "1")
    with pytest.raises(InvalidInput):
        commands.bed_set_status(bed_id=b.pk, status="out_of_service")  # needs a reason
    commands.bed_set_status(bed_id=b.pk, status="out_of_service", note="Broken rail")
    with pytest.raises(Conflict):
        commands.admission_admit(encounter_id=inpatient_encounter().pk, bed_id=b.pk)
    commands.bed_set_status(bed_id=b.pk, status="free")
    commands.admission_admit(encounter_id=inpatient_encounter().pk, bed_id=b.pk)
    with pytest.raises(InvalidInput):
        commands.bed_set_status(bed_id=b.pk, status="occupied")
    with pytest.raises(Conflict):
        commands.bed_set_status(bed_id=b.pk, status="free")  # a patient is in it
    assert status(b) == Bed.Status.OCCUPIED


def test_single_sex_wards_take_only_their_patients():
    women = ward(beds=1, sex_policy="female")
    man = inpatient_encounter(patient=PatientFactory(sex="male"))
    with pytest.raises(InvalidInput):
        commands.admission_admit(encounter_id=man.pk, bed_id=bed(women, "1").pk)
    commands.admission_admit(encounter_id=inpatient_encounter().pk, bed_id=bed(women, "1").pk)


def test_the_database_refuses_a_second_patient_in_a_bed_and_a_second_bed_for_a_patient():
    """Past the commands (raw rows): the exclusion constraints are the last line of defence."""
    w = ward(beds=2)
    first = commands.admission_admit(encounter_id=inpatient_encounter().pk, bed_id=bed(w, "1").pk)
    other = commands.admission_admit(encounter_id=inpatient_encounter().pk, bed_id=bed(w, "2").pk)
    sneaky = [
        # another patient in bed 1, overlapping the first stay
        (other, bed(w, "1"), "bed_holds_one_patient_at_a_time"),
        # the first patient in a second bed at the same time
        (first, bed(w, "2"), "bed_holds_one_patient_at_a_time"),
    ]
    for admission, target, _name in sneaky:
        with pytest.raises(IntegrityError), transaction.atomic():
            BedAssignment.objects.create(
                admission=admission, patient_id=admission.patient_id, bed=target, started_at=local(0, 0)
            )
    # A patient in two beds at once, even where neither bed is taken (a third, empty bed).
    spare = commands.bed_create(ward_id=w.pk, label="3")
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        BedAssignment.objects.create(
            admission=first, patient_id=first.patient_id, bed=spare, started_at=local(0, 0), ended_at=local(-1, 0)
        )
    assert "patient_in_one_bed_at_a_time" in str(refused.value)
    # An assignment naming another patient than its admission's.
    with pytest.raises(IntegrityError), transaction.atomic():
        BedAssignment.objects.create(
            admission=first, patient_id=other.patient_id, bed=spare, started_at=local(5, 0), ended_at=local(4, 0)
        )
    assert BedAssignment.objects.count() == 2


def test_an_admission_backdated_over_someone_elses_stay_is_refused():
    w = ward(beds=1)
    a = commands.admission_admit(encounter_id=inpatient_encounter().pk, bed_id=bed(w, "1").pk, admitted_at=local(3, 9))
    commands.admission_order_discharge(admission_id=a.pk, ordered_at=local(1, 8))
    commands.admission_discharge(admission_id=a.pk, discharged_at=local(1, 10))
    commands.bed_set_status(bed_id=bed(w, "1").pk, status="free")
    with pytest.raises(Conflict) as refused:
        commands.admission_admit(encounter_id=inpatient_encounter().pk, bed_id=bed(w, "1").pk, admitted_at=local(2, 9))
    assert refused.value.errors == {"bed": ["This bed was taken by another patient at that time."]}
    assert status(bed(w, "1")) == Bed.Status.FREE


# --- bed-day charges --------------------------------------------------------------------------------------


def _lines(encounter_id: int) -> list[InvoiceLine]:
    return list(InvoiceLine.objects.filter(invoice__encounter_id=encounter_id).order_by("id"))


def test_three_nights_are_three_lines_and_running_again_charges_nothing_more():
    w = ward(beds=1, price="250.00")
    encounter = inpatient_encounter()
    commands.admission_admit(encounter_id=encounter.pk, bed_id=bed(w, "1").pk, admitted_at=local(3, 10))
    assert commands.bed_days_charge() == 3
    assert commands.bed_days_charge() == 0
    assert commands.bed_days_charge(since=local(10, 0).date()) == 0
    lines = _lines(encounter.pk)
    assert [line.unit_price for line in lines] == [Decimal("250.00")] * 3
    assert BedDayCharge.objects.count() == 3
    invoice = Invoice.objects.get(encounter=encounter)
    assert invoice.status == Invoice.Status.DRAFT and invoice.total == Decimal("750.00")


def test_a_transfer_at_noon_is_charged_at_the_price_of_the_ward_held_at_midnight():
    cheap, dear = ward(beds=1, price="200.00"), ward(beds=1, price="900.00")
    encounter = inpatient_encounter()
    admission = commands.admission_admit(encounter_id=encounter.pk, bed_id=bed(cheap, "1").pk, admitted_at=local(3, 10))
    commands.admission_transfer(admission_id=admission.pk, bed_id=bed(dear, "1").pk, transferred_at=local(1, 12))
    assert commands.bed_days_charge() == 3
    charges = list(BedDayCharge.objects.filter(admission=admission).order_by("night"))
    assert [c.ward_id for c in charges] == [cheap.pk, cheap.pk, dear.pk]
    assert [line.unit_price for line in _lines(encounter.pk)] == [
        Decimal("200.00"),
        Decimal("200.00"),
        Decimal("900.00"),
    ]


def test_discharge_charges_the_nights_not_yet_charged_and_a_same_day_stay_none():
    w = ward(beds=2, price="100.00")
    stay = inpatient_encounter()
    admission = commands.admission_admit(encounter_id=stay.pk, bed_id=bed(w, "1").pk, admitted_at=local(2, 15))
    commands.admission_order_discharge(admission_id=admission.pk)
    commands.admission_discharge(admission_id=admission.pk)
    assert len(_lines(stay.pk)) == 2
    assert commands.bed_days_charge() == 0

    day_case = inpatient_encounter()
    short = commands.admission_admit(encounter_id=day_case.pk, bed_id=bed(w, "2").pk, admitted_at=local(0, 0, 5))
    commands.admission_order_discharge(admission_id=short.pk)
    commands.admission_discharge(admission_id=short.pk)
    assert _lines(day_case.pk) == []


def test_bed_days_go_on_the_encounters_draft_invoice_and_never_on_an_issued_one():
    from billing import commands as billing

    w = ward(beds=1, price="100.00")
    encounter = inpatient_encounter()
    commands.admission_admit(encounter_id=encounter.pk, bed_id=bed(w, "1").pk, admitted_at=local(2, 10))
    assert commands.bed_days_charge(through=local(2, 0).date()) == 1
    first = Invoice.objects.get(encounter=encounter)
    billing.invoice_issue(invoice_id=first.pk)  # an interim bill
    assert commands.bed_days_charge() == 1
    second = Invoice.objects.exclude(pk=first.pk).get(encounter=encounter)
    assert second.status == Invoice.Status.DRAFT and second.lines.count() == 1
    assert Invoice.objects.get(pk=first.pk).lines.count() == 1
    assert (second.supplements_id, second.payer_id) == (first.pk, first.payer_id)  # the same payer's supplement


def test_a_night_that_has_not_come_is_not_charged():
    with pytest.raises(InvalidInput):
        commands.bed_days_charge(through=local(0, 0).date())


def test_a_stay_that_cannot_be_charged_holds_up_no_other(monkeypatch):
    from billing import commands as billing

    w = ward(beds=2)
    stuck = commands.admission_admit(
        encounter_id=inpatient_encounter().pk, bed_id=bed(w, "1").pk, admitted_at=local(1, 9)
    )
    fine = commands.admission_admit(
        encounter_id=inpatient_encounter().pk, bed_id=bed(w, "2").pk, admitted_at=local(1, 9)
    )
    add_line = billing.invoice_add_line

    def full(*, invoice_id, **line):
        if Invoice.objects.get(pk=invoice_id).encounter_id == stuck.encounter_id:
            raise Conflict("Invoice has 500 lines already; start another.")
        return add_line(invoice_id=invoice_id, **line)

    monkeypatch.setattr(billing, "invoice_add_line", full)
    assert commands.bed_days_charge() == 1
    assert list(BedDayCharge.objects.values_list("admission_id", flat=True)) == [fine.pk]


def test_a_held_bed_that_breaks_is_replaced_and_a_hold_is_released_only_by_cancelling_the_request():
    w = ward(beds=2)
    waiting = commands.admission_request_create(encounter_id=inpatient_encounter().pk, ward_id=w.pk)
    held = Bed.objects.get(reserved_for=waiting)
    with pytest.raises(Conflict):
        commands.bed_set_status(bed_id=held.pk, status="free")
    commands.bed_set_status(bed_id=held.pk, status="out_of_service", note="Broken brake")
    assert status(held) == Bed.Status.OUT_OF_SERVICE
    assert Bed.objects.get(reserved_for=waiting) != held  # the other bed is held instead
    commands.admission_request_cancel(request_id=waiting.pk)
    assert not Bed.objects.filter(reserved_for__isnull=False).exists()
