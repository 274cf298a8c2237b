"""Scheduling API: thin — validate, then one command or one query.

/schedules/, /schedule-exceptions/, /slots/?department=&date=&free=true, /appointments/ with its actions
(reschedule, cancel, no-show, check-in, notes), /queue/ (a POST is a walk-in check-in) with call-next and
the actions on an entry. The department's board (a projection) is /queue/board/ (reports/api.py).
"""

import datetime

from django.utils.dateparse import parse_date
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.views import AuditedReads, CommandViewSet
from core.errors import InvalidInput
from scheduling import commands, queries
from scheduling import serializers as s
from scheduling.models import Appointment

MAX_DAYS = 92  # one slot search spans at most a quarter


def _date(params, name: str) -> datetime.date | None:
    value = params.get(name)
    if not value:
        return None
    parsed = parse_date(value) if len(value) == 10 else None
    if parsed is None:
        raise InvalidInput("A date as YYYY-MM-DD.", field=name)
    return parsed


def _id(params, name: str) -> int | None:
    value = params.get(name)
    if not value:
        return None
    if not value.isdigit() or len(value) > 12:
        raise InvalidInput("A whole number (an id).", field=name)
    return int(value)


class ScheduleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CommandViewSet):
    serializer_class = s.ScheduleOutput
    input_serializer = s.ScheduleInput
    filterset_fields = ["department", "provider", "active"]

    def get_queryset(self):
        return queries.schedules()

    @extend_schema(request=s.ScheduleInput, responses={201: s.ScheduleOutput})
    def create(self, request):
        """Create a clinic schedule.

        A provider's weekly clinic in a department (rules per weekday, slot length, capacity); its slots for the
        coming weeks are generated at once.
        """
        data = self.validated()
        data["department_id"], data["provider_id"] = data.pop("department"), data.pop("provider")
        data["rules"] = [dict(rule) for rule in data["rules"]]
        return self.created(commands.schedule_create(**data))

    @extend_schema(request=s.ScheduleUpdate, responses={200: s.ScheduleOutput})
    def partial_update(self, request, pk=None):
        """Change a clinic schedule.

        Hours, slot length, capacity, validity, or end it (`active: false`). Future slots follow; slots with
        bookings are kept (blocked when no longer in the schedule) until rescheduled.
        """
        data = self.validated(s.ScheduleUpdate, partial=True)
        if "rules" in data:
            data["rules"] = [dict(rule) for rule in data["rules"]]
        return self.respond(commands.schedule_update(schedule_id=pk, **data))


class ScheduleExceptionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CommandViewSet):
    serializer_class = s.ExceptionOutput
    input_serializer = s.ExceptionInput
    filterset_fields = ["kind", "department", "provider"]

    def get_queryset(self):
        return queries.exceptions()

    @extend_schema(request=s.ExceptionInput, responses={201: s.ExceptionOutput})
    def create(self, request):
        """Add a holiday, closure or leave.

        As instants or as whole local days, for a department, a provider or the whole hospital. Slots inside it go;
        those holding bookings are blocked and listed for rescheduling.
        """
        data = self.validated()
        data["department_id"], data["provider_id"] = data.pop("department", None), data.pop("provider", None)
        return self.created(commands.exception_add(created_by=request.user, **data))

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        """Withdraw a holiday, closure or leave.

        The slots it took come back, and those it blocked open again; answers 204.
        """
        commands.exception_remove(exception_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SlotViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CommandViewSet):
    serializer_class = s.SlotOutput

    def get_queryset(self):
        params = self.request.query_params
        if self.action != "list":
            return queries.slots()
        day = _date(params, "date")
        start, end = _date(params, "start") or day, _date(params, "end") or day
        if start and end and (end < start or (end - start).days > MAX_DAYS):
            raise InvalidInput(f"From start to end, at most {MAX_DAYS} days.", field="end")
        department, provider = _id(params, "department"), _id(params, "provider")
        if params.get("free") == "true":
            return queries.free_slots(department_id=department, provider_id=provider, start=start, end=end)
        found = queries.slots()
        if department:
            found = found.filter(department_id=department)
        if provider:
            found = found.filter(provider_id=provider)
        if start:
            found = found.filter(day__gte=start)
        if end:
            found = found.filter(day__lte=end)
        return found.order_by("starts_at", "provider_id", "pk")

    @extend_schema(
        parameters=[
            OpenApiParameter("department", int),
            OpenApiParameter("provider", int),
            OpenApiParameter("date", datetime.date, description="One local day (YYYY-MM-DD)."),
            OpenApiParameter("start", datetime.date, description="From this day ..."),
            OpenApiParameter("end", datetime.date, description=f"... to this one (at most {MAX_DAYS} days)."),
            OpenApiParameter("free", bool, description="Only slots still open, with room, not yet started."),
        ]
    )
    def list(self, request, *args, **kwargs):
        """Find appointment slots.

        Slots by department, provider and day (or a span of at most a quarter); `free=true` keeps those still open,
        with room, not yet started.
        """
        return super().list(request, *args, **kwargs)


class AppointmentViewSet(AuditedReads, mixins.ListModelMixin, mixins.RetrieveModelMixin, CommandViewSet):
    serializer_class = s.AppointmentOutput
    input_serializer = s.AppointmentInput
    filterset_fields = ["patient", "department", "provider", "status", "day", "booked_via"]
    action_permissions = {
        "reschedule": ["scheduling.change_appointment"],
        "cancel": ["scheduling.change_appointment"],
        "no_show": ["scheduling.change_appointment"],
        "notes": ["scheduling.change_appointment"],
        "check_in": ["scheduling.change_appointment", "scheduling.add_queueentry"],
    }

    def get_queryset(self):
        found = queries.appointments()
        return found.prefetch_related("events__by") if self.action == "retrieve" else found

    def get_serializer_class(self):
        return s.AppointmentDetailOutput if self.action == "retrieve" else s.AppointmentOutput

    @extend_schema(request=s.AppointmentInput, responses={201: s.AppointmentOutput})
    def create(self, request):
        """Book an appointment.

        A patient in a slot. 409 naming `slot` when it is full, closed or already started, naming `patient` when the
        patient already has an appointment at that time.
        """
        data = self.validated()
        appointment = commands.appointment_book(
            patient_id=data["patient"],
            slot_id=data["slot"],
            reason=data["reason"],
            notes=data["notes"],
            booked_by=request.user,
            via=Appointment.Via.API,
        )
        return self.created(appointment)

    @extend_schema(request=s.RescheduleInput, responses={200: s.AppointmentOutput})
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        """Move an appointment to another slot.

        With a reason; the old slot is free again at once. 409 naming `slot` as for a booking.
        """
        data = self.validated(s.RescheduleInput)
        return self.respond(
            commands.appointment_reschedule(
                appointment_id=pk, slot_id=data["slot"], reason=data["reason"], by=request.user
            )
        )

    @extend_schema(request=s.AppointmentCancelInput, responses={200: s.AppointmentOutput})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel an appointment.

        With a reason (patient asked, clinic cancelled, ...): the slot is free again at once. 409 when it is no
        longer booked.
        """
        reason = self.validated(s.AppointmentCancelInput)["reason"]
        return self.respond(commands.appointment_cancel(appointment_id=pk, reason=reason, by=request.user))

    @extend_schema(request=None, responses={200: s.AppointmentOutput})
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request, pk=None):
        """Mark an appointment a no-show.

        The patient did not come (the slot has ended). 409 when the appointment has not started yet or is no longer
        booked.
        """
        return self.respond(commands.appointment_mark_no_show(appointment_id=pk, by=request.user))

    @extend_schema(request=s.NoteInput, responses={201: s.EventOutput})
    @action(detail=True, methods=["post"])
    def notes(self, request, pk=None):
        """Add a note to an appointment.

        A note in the appointment's history (who and when kept); answers 201 with the event.
        """
        text = self.validated(s.NoteInput)["text"]
        return self.created(
            commands.appointment_add_note(appointment_id=pk, text=text, by=request.user), serializer_class=s.EventOutput
        )

    @extend_schema(request=s.CheckInInput, responses={201: s.QueueEntryOutput})
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        """Check in for an appointment.

        The patient has arrived (on the appointment's day): an encounter is started and the patient joins the
        department's queue; answers 201 with the queue entry. 409 when already checked in or cancelled.
        """
        priority = self.validated(s.CheckInInput).get("priority")
        entry = commands.appointment_check_in(appointment_id=pk, priority=priority, checked_in_by=request.user)
        return self.created(entry, serializer_class=s.QueueEntryOutput)


class QueueViewSet(AuditedReads, mixins.ListModelMixin, mixins.RetrieveModelMixin, CommandViewSet):
    """The queue's entries. POST = a walk-in's check-in; call-next and the actions move entries along."""

    serializer_class = s.QueueEntryOutput
    input_serializer = s.WalkInInput
    filterset_fields = ["department", "patient", "status", "priority", "day", "provider"]
    action_permissions = {
        "call_next": ["scheduling.change_queueentry"],
        "call": ["scheduling.change_queueentry"],
        "start": ["scheduling.change_queueentry"],
        "finish": ["scheduling.change_queueentry"],
        "leave": ["scheduling.change_queueentry"],
        "requeue": ["scheduling.change_queueentry"],
        "priority": ["scheduling.triage_queueentry"],
    }

    def get_queryset(self):
        return queries.queue_entries()

    @extend_schema(request=s.WalkInInput, responses={201: s.QueueEntryOutput})
    def create(self, request):
        """Check in a walk-in patient.

        A patient without an appointment: an encounter is started and the patient joins the department's queue (for
        the clinician chosen, else the first one free). 409 naming `patient` when they are already in a queue.
        """
        data = self.validated()
        entry = commands.walk_in_check_in(
            patient_id=data["patient"],
            department_id=data["department"],
            provider_id=data.get("provider"),
            priority=data.get("priority"),
            reason=data["reason"],
            checked_in_by=request.user,
        )
        return self.created(entry)

    @extend_schema(request=s.CallNextInput, responses={200: s.QueueEntryOutput})
    @action(detail=False, methods=["post"], url_path="call-next")
    def call_next(self, request):
        """Call the next patient.

        The next waiting patient of the department for you (emergencies first, then by arrival), to the room given.
        409 naming `department` when nobody is waiting.
        """
        data = self.validated(s.CallNextInput)
        return self.respond(
            commands.queue_call_next(department_id=data["department"], called_by=request.user, room=data["room"])
        )

    @extend_schema(request=s.CallInput, responses={200: s.QueueEntryOutput})
    @action(detail=True, methods=["post"])
    def call(self, request, pk=None):
        """Call one waiting patient.

        Call this patient out of turn, to the room given. 409 when the entry is not waiting.
        """
        room = self.validated(s.CallInput)["room"]
        return self.respond(commands.queue_call(entry_id=pk, called_by=request.user, room=room))

    @extend_schema(request=None, responses={200: s.QueueEntryOutput})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """Start the consultation.

        The wait ends here. 409 when the patient has not been called.
        """
        return self.respond(commands.queue_start(entry_id=pk, by=request.user))

    @extend_schema(request=s.FinishInput, responses={200: s.QueueEntryOutput})
    @action(detail=True, methods=["post"])
    def finish(self, request, pk=None):
        """Finish the consultation.

        The consultation is over; the encounter is closed with it unless `close_encounter` is false (a patient sent
        on for tests).
        """
        close = self.validated(s.FinishInput)["close_encounter"]
        return self.respond(commands.queue_finish(entry_id=pk, by=request.user, close_encounter=close))

    @extend_schema(request=s.LeaveInput, responses={200: s.QueueEntryOutput})
    @action(detail=True, methods=["post"])
    def leave(self, request, pk=None):
        """Record that a patient left unseen.

        Out of the queue, with a note; the encounter is closed.
        """
        note = self.validated(s.LeaveInput)["note"]
        return self.respond(commands.queue_leave(entry_id=pk, by=request.user, note=note))

    @extend_schema(request=None, responses={200: s.QueueEntryOutput})
    @action(detail=True, methods=["post"])
    def requeue(self, request, pk=None):
        """Put a called patient back in the queue.

        A called patient did not come: back to waiting, in their place by arrival.
        """
        return self.respond(commands.queue_requeue(entry_id=pk, by=request.user))

    @extend_schema(request=s.PriorityInput, responses={200: s.QueueEntryOutput})
    @action(detail=True, methods=["post"])
    def priority(self, request, pk=None):
        """Triage a waiting patient.

        Move a waiting patient up (emergency) or back (normal).
        """
        priority = self.validated(s.PriorityInput)["priority"]
        return self.respond(commands.queue_set_priority(entry_id=pk, priority=priority, by=request.user))
