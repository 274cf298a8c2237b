"""Appointments and waits: per local day x department x provider, the clinic's slots and capacity, the
bookings and what became of them, and the queue's arrivals and waits (the appointments report and the
dashboard's clinic figures).

Definitions (the report and its tests use the same):
- slots, capacity: open (not blocked) slots and the patients they can take; slot_booked: the live
  bookings those slots hold (the database's own counter); utilisation = slot_booked / capacity;
- booked: appointments not cancelled (attended, no-shows and those still to come); attended: checked in;
  no_shows; cancelled; no-show rate = no_shows / (attended + no_shows);
- arrivals: check-ins to the queue (appointments and walk-ins), by the clinician who called them (else the
  one they waited for; 0: nobody, a walk-in who left unseen); seen: consultations begun; left_unseen;
  wait_seconds: the sum of check-in to consultation over those seen; average wait = wait_seconds / seen.

A table kept key by key (reports/engine/increments.py), the key being (day, department): a booking, a
check-in or a call recomputes that department's day (every provider in it); a move also recomputes the
day the appointment left (its `rescheduled` event names the old slot). A deleted slot (a schedule or a
holiday changed the future) cannot be placed, and recomputes the whole table.
"""

from django.utils import timezone

from reports.projections.base import CHANGES, NIGHTLY, SUMMARY, DashboardFields, Increment, Projection, View, rows

_DAYS = """
WITH slots AS (
    SELECT s.day, s.department_id, s.provider_id, count(*) AS slots, sum(s.capacity) AS capacity,
           sum(s.booked) AS slot_booked
    FROM scheduling_slot s
    WHERE NOT s.blocked{slots_only}
    GROUP BY 1, 2, 3
), bookings AS (
    SELECT a.day, a.department_id, a.provider_id,
           count(*) FILTER (WHERE a.status <> 'cancelled') AS booked,
           count(*) FILTER (WHERE a.status = 'checked_in') AS attended,
           count(*) FILTER (WHERE a.status = 'no_show') AS no_shows,
           count(*) FILTER (WHERE a.status = 'cancelled') AS cancelled
    FROM scheduling_appointment a
    WHERE true{bookings_only}
    GROUP BY 1, 2, 3
), visits AS (
    SELECT q.day, q.department_id, COALESCE(q.called_by_id, q.provider_id, 0) AS provider_id,
           count(*) AS arrivals, count(*) FILTER (WHERE q.appointment_id IS NULL) AS walk_ins,
           count(q.consultation_started_at) AS seen, count(*) FILTER (WHERE q.status = 'left') AS left_unseen,
           COALESCE(sum(round(EXTRACT(EPOCH FROM q.consultation_started_at - q.arrived_at))), 0)::bigint
               AS wait_seconds
    FROM scheduling_queueentry q
    WHERE true{visits_only}
    GROUP BY 1, 2, 3
)
SELECT k.day, k.department_id, d.name AS department_name, k.provider_id,
       COALESCE(NULLIF(concat_ws(' ', u.first_name, u.last_name), ''), u.username, '') AS provider_name,
       k.slots, k.capacity, k.slot_booked, k.booked, k.attended, k.no_shows, k.cancelled, k.arrivals, k.walk_ins,
       k.seen, k.left_unseen, k.wait_seconds
FROM (
    SELECT day, department_id, provider_id,
           COALESCE(s.slots, 0)::bigint AS slots, COALESCE(s.capacity, 0)::bigint AS capacity,
           COALESCE(s.slot_booked, 0)::bigint AS slot_booked, COALESCE(b.booked, 0)::bigint AS booked,
           COALESCE(b.attended, 0)::bigint AS attended, COALESCE(b.no_shows, 0)::bigint AS no_shows,
           COALESCE(b.cancelled, 0)::bigint AS cancelled, COALESCE(v.arrivals, 0)::bigint AS arrivals,
           COALESCE(v.walk_ins, 0)::bigint AS walk_ins, COALESCE(v.seen, 0)::bigint AS seen,
           COALESCE(v.left_unseen, 0)::bigint AS left_unseen, COALESCE(v.wait_seconds, 0)::bigint AS wait_seconds
    FROM slots s
    FULL JOIN bookings b USING (day, department_id, provider_id)
    FULL JOIN visits v USING (day, department_id, provider_id)
) k
JOIN clinical_department d ON d.id = k.department_id
LEFT JOIN auth_user u ON u.id = k.provider_id
"""

_ONLY = {
    "slots_only": " AND (s.day, s.department_id) IN {touched}",
    "bookings_only": " AND (a.day, a.department_id) IN {touched}",
    "visits_only": " AND (q.day, q.department_id) IN {touched}",
}

DAYS = View(
    name="reports_appointment_days",
    select=_DAYS.format(**dict.fromkeys(_ONLY, "")),
    unique=("day", "department_id", "provider_id"),
    indexes=(("department_id", "day"), ("provider_id", "day")),
    increment=Increment(
        key=(("day", "date"), ("department_id", "bigint")),
        sources=("scheduling.slot", "scheduling.appointment", "scheduling.appointmentevent", "scheduling.queueentry"),
        touched=f"""{CHANGES}
SELECT s.day, s.department_id FROM changes c LEFT JOIN scheduling_slot s ON s.id = c.id
WHERE c.source = 'scheduling.slot'
UNION SELECT a.day, a.department_id FROM changes c JOIN scheduling_appointment a ON a.id = c.id
WHERE c.source = 'scheduling.appointment'
UNION SELECT s.day, s.department_id FROM changes c JOIN scheduling_appointmentevent e ON e.id = c.id
JOIN scheduling_slot s ON s.id = e.from_slot_id WHERE c.source = 'scheduling.appointmentevent'
UNION SELECT q.day, q.department_id FROM changes c JOIN scheduling_queueentry q ON q.id = c.id
WHERE c.source = 'scheduling.queueentry'""",
        select=_DAYS.format(**_ONLY),
    ),
)

TODAY_SQL = f"""
SELECT COALESCE(sum(booked), 0) AS booked, COALESCE(sum(attended), 0) AS attended,
       COALESCE(sum(no_shows), 0) AS no_shows, COALESCE(sum(arrivals), 0) AS arrivals,
       COALESCE(sum(seen), 0) AS seen, COALESCE(sum(wait_seconds), 0) AS wait_seconds
FROM {DAYS.name} WHERE day = %(day)s
"""


def today_figures(cursor) -> dict[str, int]:
    """Today's clinic figures (the hospital's local day), from the view."""
    (found,) = rows(cursor, TODAY_SQL, {"day": timezone.localdate()})
    return {name: int(value) for name, value in found.items()}


class Appointments(Projection):
    def build_summary(self, cursor) -> dict[str, dict]:
        return {"summary": {**today_figures(cursor), "day": timezone.localdate().isoformat()}}


def _dashboard(found) -> dict[str, str]:
    summary = found["summary"]
    seen, wait = int(summary.get("seen", 0)), int(summary.get("wait_seconds", 0))
    return {
        "appointments_today": summary.get("booked", "0"),
        "no_shows_today": summary.get("no_shows", "0"),
        "average_wait_today": str(int(wait / seen / 60 + 0.5)) if seen else "",  # whole minutes, half up
    }


PROJECTION = Appointments(
    name="appointments",
    title="Appointments and waits",
    views=(DAYS,),
    sources=("scheduling.Slot", "scheduling.Appointment", "scheduling.AppointmentEvent", "scheduling.QueueEntry"),
    min_interval=10,  # a report and today's tiles: need not follow every check-in within the second
    reconcile=NIGHTLY,  # the live recomputation reads three years of appointments
    calendar=SUMMARY,  # "today" moves at midnight; the table holds dates, not the date
    dashboard=DashboardFields(_dashboard),
)
