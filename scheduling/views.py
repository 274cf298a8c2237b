"""Front desk and clinic pages: thin — a form, one command or one query, redirect after POST.

The front desk's day (bookings, check-in, walk-ins), booking and rescheduling from the free slots of a
week, an appointment's page, the clinician's "my queue" (call next, consult, finish), and the department's
board (a page that polls the board's API; its figures come from the queue-board projection).
"""

import datetime
from itertools import groupby

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from clinical import queries as clinical
from core.audit import trail
from core.audit.models import AuditEvent
from core.errors import DomainError
from core.pages import apply_errors, run
from scheduling import commands, queries
from scheduling.forms import (
    BookForm,
    CallNextForm,
    CancelForm,
    CheckInForm,
    LeaveForm,
    NoteForm,
    PriorityForm,
    RescheduleForm,
    SlotSearchForm,
    WalkInForm,
)
from scheduling.models import Appointment

WEEK = 7


def _id(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) <= 12 else None


def _department(request, field: str = "department"):
    pk = _id(request.GET.get(field, ""))
    return clinical.departments().filter(pk=pk).first() if pk else None


def _day(request) -> datetime.date:
    try:
        return datetime.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return queries.today()


# --- the front desk ----------------------------------------------------------------------------------------


@login_required
@permission_required("scheduling.view_appointment", raise_exception=True)
def desk(request):
    """The day's appointments (check in, move, cancel, no-show), walk-ins, and bookings a closure stranded."""
    department, day = _department(request), _day(request)
    appointments = list(queries.day_list(day=day, department_id=department.pk if department else None))
    stranded = list(queries.blocked_bookings(department_id=department.pk if department else None)[:50])
    trail.read(AuditEvent.Action.LIST, appointments + stranded)
    walk_in = WalkInForm(initial={"department_id": department.pk if department else None})
    context = {
        "day": day,
        "department": department,
        "departments": clinical.departments(),
        "appointments": appointments,
        "stranded": stranded,
        "walk_in": walk_in,
        "check_in": CheckInForm(),
        "is_today": day == queries.today(),
        "previous": day - datetime.timedelta(days=1),
        "next": day + datetime.timedelta(days=1),
    }
    return render(request, "scheduling/desk.html", context)


def _week_of_slots(search: SlotSearchForm) -> list[tuple[datetime.date, list]]:
    if not search.is_valid():
        return []
    start = search.cleaned_data.get("start") or queries.today()
    provider = search.cleaned_data.get("provider")
    found = queries.free_slots(
        department_id=search.cleaned_data["department"].pk,
        provider_id=provider.pk if provider else None,
        start=start,
        end=start + datetime.timedelta(days=WEEK - 1),
    )
    return [(day, list(slots)) for day, slots in groupby(found, key=lambda s: s.day)]


def _search(request) -> SlotSearchForm:
    if "department" in request.GET:
        return SlotSearchForm(request.GET)
    chosen = _id(request.POST.get("slot_id", ""))
    slot = queries.slots().filter(pk=chosen).first() if chosen else None
    if slot is not None:  # a posted choice that failed: show that slot's week again
        return SlotSearchForm({"department": slot.department_id, "start": slot.day.isoformat()})
    return SlotSearchForm()


@login_required
@permission_required("scheduling.add_appointment", raise_exception=True)
def book(request):
    """Choose a department (and provider) and a week, pick a free slot, book it for the patient."""
    search = _search(request)
    initial = {}
    patient_id = _id(request.GET.get("patient", ""))
    patient = clinical.patients().filter(pk=patient_id).first() if patient_id else None
    if patient:
        trail.read_one(patient)
        initial["patient_id"] = patient.mrn
    form = BookForm(request.POST or None, initial=initial)
    if request.method == "POST":
        done = run(
            request,
            form,
            commands.appointment_book,
            success="Appointment booked.",
            redirect_to=lambda a: reverse("scheduling:appointment", args=[a.pk]),
            booked_by=request.user,
            via=Appointment.Via.DESK,
        )
        if done:
            return done
    context = {
        "search": search,
        "week": _week_of_slots(search),
        "form": form,
        "patient": patient,
        "chosen": request.POST.get("slot_id", ""),
    }
    return render(request, "scheduling/book.html", context, status=400 if form.errors else 200)


def _appointment(appointment_id: int) -> Appointment:
    appointment = queries.appointment(appointment_id)
    if appointment is None:
        raise Http404
    return appointment


def _appointment_page(request, appointment: Appointment, *, bound=None, status=200):
    page_forms = {"cancel": CancelForm(), "note": NoteForm(), "check_in": CheckInForm()}
    if bound:
        page_forms[bound[0]] = bound[1]
    context = {
        "appointment": appointment,
        "history": list(queries.appointment_history(appointment.pk)),
        "forms": page_forms,
        "refused": bound[1] if bound else None,
        "is_today": appointment.day == queries.today(),
    }
    return render(request, "scheduling/appointment.html", context, status=status)


@login_required
@permission_required("scheduling.view_appointment", raise_exception=True)
def appointment(request, appointment_id: int):
    found = _appointment(appointment_id)
    trail.read_one(found)
    return _appointment_page(request, found)


@login_required
@permission_required("scheduling.change_appointment", raise_exception=True)
def reschedule(request, appointment_id: int):
    found = _appointment(appointment_id)
    trail.read_one(found)
    search = _search(request)
    if not search.is_bound:
        search = SlotSearchForm({"department": found.department_id, "start": queries.today().isoformat()})
    form = RescheduleForm(request.POST or None)
    if request.method == "POST":
        done = run(
            request,
            form,
            commands.appointment_reschedule,
            success="Appointment moved.",
            redirect_to=reverse("scheduling:appointment", args=[found.pk]),
            appointment_id=found.pk,
            by=request.user,
        )
        if done:
            return done
    context = {"appointment": found, "search": search, "week": _week_of_slots(search), "form": form}
    return render(request, "scheduling/reschedule.html", context, status=400 if form.errors else 200)


def _appointment_post(request, pk: int, name: str, form, command, success: str, **kwargs):
    found = _appointment(pk)
    done = run(
        request,
        form,
        command,
        success=success,
        redirect_to=request.POST.get("next") or reverse("scheduling:appointment", args=[found.pk]),
        appointment_id=found.pk,
        **kwargs,
    )
    return done or _appointment_page(request, found, bound=(name, form), status=400)


@login_required
@require_POST
@permission_required("scheduling.change_appointment", raise_exception=True)
def cancel(request, appointment_id: int):
    return _appointment_post(
        request,
        appointment_id,
        "cancel",
        CancelForm(request.POST),
        commands.appointment_cancel,
        "Appointment cancelled; the slot is free again.",
        by=request.user,
    )


@login_required
@require_POST
@permission_required("scheduling.change_appointment", raise_exception=True)
def no_show(request, appointment_id: int):
    return _appointment_post(
        request,
        appointment_id,
        "no_show",
        forms.Form(request.POST),  # nothing to fill in: the form carries the command's errors
        commands.appointment_mark_no_show,
        "Marked as a no-show.",
        by=request.user,
    )


@login_required
@require_POST
@permission_required("scheduling.change_appointment", raise_exception=True)
def add_note(request, appointment_id: int):
    return _appointment_post(
        request,
        appointment_id,
        "note",
        NoteForm(request.POST),
        commands.appointment_add_note,
        "Note added.",
        by=request.user,
    )


@login_required
@require_POST
@permission_required("scheduling.add_queueentry", raise_exception=True)
def check_in(request, appointment_id: int):
    found = _appointment(appointment_id)
    form = CheckInForm(request.POST)
    if form.is_valid():
        try:
            entry = commands.appointment_check_in(
                appointment_id=found.pk, checked_in_by=request.user, priority=form.cleaned_data["priority"] or None
            )
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"Checked in: ticket {entry.ticket_label}, {found.department.name}.")
            return redirect(request.POST.get("next") or reverse("scheduling:appointment", args=[found.pk]))
    return _appointment_page(request, found, bound=("check_in", form), status=400)


@login_required
@require_POST
@permission_required("scheduling.add_queueentry", raise_exception=True)
def walk_in(request):
    form = WalkInForm(request.POST)
    done = run(
        request,
        form,
        commands.walk_in_check_in,
        success="Walk-in checked in.",
        redirect_to=lambda entry: f"{reverse('scheduling:desk')}?{urlencode({'department': entry.department_id})}",
        checked_in_by=request.user,
    )
    if done:
        return done
    department = _department(request)
    context = {
        "day": queries.today(),
        "department": department,
        "departments": clinical.departments(),
        "appointments": [],
        "stranded": [],
        "walk_in": form,
        "check_in": CheckInForm(),
        "is_today": True,
        "walk_in_only": True,
    }
    return render(request, "scheduling/desk.html", context, status=400)


@login_required
@permission_required("scheduling.view_appointment", raise_exception=True)
def patient_appointments(request, patient_id: int):
    patient = clinical.patients().filter(pk=patient_id).first()
    if patient is None:
        raise Http404
    appointments = list(queries.patient_appointments(patient_id=patient.pk)[:200])
    trail.read(AuditEvent.Action.LIST, appointments)
    trail.read_one(patient)
    return render(request, "scheduling/patient_appointments.html", {"patient": patient, "appointments": appointments})


# --- the clinic --------------------------------------------------------------------------------------------


def _queue_department(request):
    department = _department(request)
    if department is None:
        mine = queries.clinician_departments(request.user)
        department = mine[0] if mine else clinical.departments().first()
    return department


OPEN_SHOWN = 50  # a clinician's open encounters on their queue page


def _queue_page(request, department, *, status: int = 200, refused=()):
    queue = queries.my_queue(department_id=department.pk, clinician=request.user) if department else None
    if queue:
        trail.read(AuditEvent.Action.LIST, queue["mine"] + queue["waiting"] + queue["others"])
    attends = request.user.has_perm("clinical.attend_encounter")
    open_encounters = list(clinical.open_encounters_of(clinician=request.user)[:OPEN_SHOWN]) if attends else None
    if open_encounters:
        trail.read(AuditEvent.Action.LIST, open_encounters)
    context = {
        "department": department,
        "departments": clinical.departments(),
        "queue": queue,
        "open_encounters": open_encounters,
        "refused": refused,
        "call_next": CallNextForm(),
        "priority": PriorityForm(),
    }
    return render(request, "scheduling/my_queue.html", context, status=status)


@login_required
@permission_required("scheduling.view_queueentry", raise_exception=True)
def my_queue(request):
    """A clinician's landing page: their patients now, who they may call next, the rest of the queue."""
    return _queue_page(request, _queue_department(request))


def _back_to_queue(department_id: int) -> str:
    return f"{reverse('scheduling:my_queue')}?{urlencode({'department': department_id})}"


def _refused(form) -> list[str]:
    return [error for errors in form.errors.values() for error in errors]


@login_required
@require_POST
@permission_required("scheduling.change_queueentry", raise_exception=True)
def call_next(request, department_id: int):
    department = clinical.departments().filter(pk=department_id).first()
    if department is None:
        raise Http404
    form = CallNextForm(request.POST)
    done = run(
        request,
        form,
        commands.queue_call_next,
        success="Called.",
        redirect_to=lambda entry: _back_to_queue(entry.department_id),
        department_id=department.pk,
        called_by=request.user,
    )
    return done or _queue_page(request, department, status=409, refused=_refused(form))


def _queue_post(request, entry_id: int, command, success: str, form=None, **kwargs):
    """Run one queue command on an entry (the button is the request; `form` when it carries fields); back
    to the queue page, or the page again with the command's refusal at the top."""
    entry = queries.queue_entries().filter(pk=entry_id).first()
    if entry is None:
        raise Http404
    form = form or forms.Form(request.POST)
    success = success.format(ticket=entry.ticket_label)
    back = _back_to_queue(entry.department_id)
    done = run(request, form, command, success=success, redirect_to=back, entry_id=entry.pk, **kwargs)
    return done or _queue_page(request, entry.department, status=409, refused=_refused(form))


def _clinician(view):
    return login_required(require_POST(permission_required("scheduling.change_queueentry", raise_exception=True)(view)))


@_clinician
def queue_call(request, entry_id: int):
    form = CallNextForm(request.POST)
    return _queue_post(request, entry_id, commands.queue_call, "Ticket {ticket} called.", form, called_by=request.user)


@_clinician
def queue_start(request, entry_id: int):
    return _queue_post(request, entry_id, commands.queue_start, "Consultation started.", by=request.user)


@_clinician
def queue_finish(request, entry_id: int):
    return _queue_post(request, entry_id, commands.queue_finish, "Ticket {ticket} done.", by=request.user)


@_clinician
def queue_leave(request, entry_id: int):
    form = LeaveForm(request.POST)
    return _queue_post(request, entry_id, commands.queue_leave, "Ticket {ticket}: left.", form, by=request.user)


@_clinician
def queue_requeue(request, entry_id: int):
    return _queue_post(request, entry_id, commands.queue_requeue, "Ticket {ticket} is waiting again.", by=request.user)


@login_required
@require_POST
@permission_required("scheduling.triage_queueentry", raise_exception=True)
def queue_priority(request, entry_id: int):
    form = PriorityForm(request.POST)
    return _queue_post(
        request, entry_id, commands.queue_set_priority, "Ticket {ticket}: priority changed.", form, by=request.user
    )


@login_required
@permission_required("scheduling.view_queueentry", raise_exception=True)
def board(request, department_id: int):
    """The department's board for the waiting-room screen: this page draws it, static/js/queue-board.js
    fills it from GET /api/v1/queue/board/ (the projection) every few seconds, without reloading."""
    department = clinical.departments().filter(pk=department_id).first()
    if department is None:
        raise Http404
    context = {
        "department": department,
        "source": f"{reverse('queue-board')}?{urlencode({'department': department.pk})}",
        "poll_seconds": settings.SCHEDULING_BOARD_POLL_SECONDS,
    }
    return render(request, "scheduling/board.html", context)
