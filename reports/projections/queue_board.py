"""Queue board: who is in each department's queue now (waiting, called, in consultation), for the board
on the waiting-room screen and the department's figures.

One row per active queue entry, kept as a table refreshed department by department (a check-in or a call
recomputes that department's rows only, so the board follows within about a second of the write). The
name shown is the given name and the family name's initial (a board is read across a waiting room);
waits are computed when read, from the times held here.
"""

from reports.projections.base import CHANGES, DashboardFields, Increment, Projection, View, rows

ACTIVE = "('waiting', 'called', 'in_consultation')"

_BOARD = f"""
SELECT q.id AS entry_id, q.department_id, d.name AS department_name, q.day, q.ticket, q.priority,
       CASE q.priority WHEN 'emergency' THEN 0 WHEN 'elderly' THEN 1 ELSE 2 END AS priority_rank,
       q.status, p.given_name || ' ' || left(p.family_name, 1) || '.' AS display_name,
       q.arrived_at, q.called_at, q.consultation_started_at, q.room,
       COALESCE(NULLIF(concat_ws(' ', c.first_name, c.last_name), ''), c.username,
                NULLIF(concat_ws(' ', w.first_name, w.last_name), ''), w.username, '') AS clinician
FROM scheduling_queueentry q
JOIN clinical_patient p ON p.id = q.patient_id
JOIN clinical_department d ON d.id = q.department_id
LEFT JOIN auth_user c ON c.id = q.called_by_id AND q.status <> 'waiting'
LEFT JOIN auth_user w ON w.id = q.provider_id
WHERE q.status IN {ACTIVE}{{only}}
"""

BOARD = View(
    name="reports_queue_board",
    select=_BOARD.replace("{only}", ""),
    unique=("entry_id",),
    indexes=(("department_id", "status"),),
    increment=Increment(
        key=(("department_id", "bigint"),),
        sources=("scheduling.queueentry", "clinical.patient"),
        touched=f"""{CHANGES}
SELECT q.department_id FROM changes c JOIN scheduling_queueentry q ON q.id = c.id
WHERE c.source = 'scheduling.queueentry'
UNION SELECT q.department_id FROM changes c JOIN scheduling_queueentry q ON q.patient_id = c.id
WHERE c.source = 'clinical.patient' AND q.status IN {ACTIVE}""",
        select=_BOARD.replace("{only}", " AND q.department_id IN {touched}"),
    ),
)


class QueueBoard(Projection):
    def build_summary(self, cursor) -> dict[str, dict]:
        counts = {"waiting": 0, "called": 0, "in_consultation": 0}
        for row in rows(cursor, f"SELECT status, count(*) AS n FROM {BOARD.name} GROUP BY status"):
            counts[row["status"]] = int(row["n"])
        return {"summary": counts}


def _wants(source, instance, update_fields, created) -> bool:
    """A new patient is in no queue; any change of a queue entry moves the board."""
    return source != "clinical.patient" or not created


PROJECTION = QueueBoard(
    name="queue_board",
    title="Queue board",
    views=(BOARD,),
    sources=("scheduling.QueueEntry", "clinical.Patient"),
    wants=_wants,
    live=True,  # watched in every clinic: refreshed by the live worker
    dashboard=DashboardFields(lambda found: {"queue_waiting": found["summary"].get("waiting", "0")}),
)
