"""Scheduling commands: every write of appointments and queues, one function per business action, one
transaction on the primary. By sub-topic: schedules (schedules, exceptions, slot generation),
appointments (book, reschedule, cancel, no-show, notes), queue (check-in, call, consult, finish)."""

from scheduling.commands.appointments import (
    appointment_add_note,
    appointment_book,
    appointment_cancel,
    appointment_mark_no_show,
    appointment_reschedule,
    appointments_mark_no_shows,
)
from scheduling.commands.queue import (
    appointment_check_in,
    queue_call,
    queue_call_next,
    queue_finish,
    queue_leave,
    queue_requeue,
    queue_set_priority,
    queue_start,
    queues_close_day,
    walk_in_check_in,
)
from scheduling.commands.schedules import (
    exception_add,
    exception_remove,
    schedule_create,
    schedule_update,
    slots_generate,
)

__all__ = [
    "appointment_add_note",
    "appointment_book",
    "appointment_cancel",
    "appointment_check_in",
    "appointment_mark_no_show",
    "appointment_reschedule",
    "appointments_mark_no_shows",
    "exception_add",
    "exception_remove",
    "queue_call",
    "queue_call_next",
    "queue_finish",
    "queue_leave",
    "queue_requeue",
    "queue_set_priority",
    "queue_start",
    "queues_close_day",
    "schedule_create",
    "schedule_update",
    "slots_generate",
    "walk_in_check_in",
]
