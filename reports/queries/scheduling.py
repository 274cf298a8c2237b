"""The queue board and the appointments report, from their projections (reports/projections/queue_board.py,
appointments.py), read where the router sends reads, with their freshness."""

import datetime

from django.utils import timezone

from reports.projections.appointments import DAYS
from reports.projections.base import rows
from reports.projections.queue_board import BOARD
from reports.queries.common import from_view

BOARD_COLUMNS = (
    "entry_id, department_name, ticket, priority, status, display_name, arrived_at, called_at, "
    "consultation_started_at, room, clinician"
)
STATUS_ORDER = ("waiting", "called", "in_consultation")


def queue_board(*, department_id: int, now: datetime.datetime | None = None) -> dict:
    """The department's board: waiting (first to be seen first, with how long they have waited), called
    (to which room, by whom) and in consultation; totals and the longest wait."""
    now = now or timezone.now()

    def query(cursor):
        found = rows(
            cursor,
            f"SELECT {BOARD_COLUMNS} FROM {BOARD.name} WHERE department_id = %(department)s "
            "ORDER BY priority_rank, arrived_at, entry_id",
            {"department": department_id},
        )
        board = {status: [] for status in STATUS_ORDER}
        for row in found:
            row["ticket"] = f"{row['ticket']:03d}"
            row["wait_seconds"] = int((now - row["arrived_at"]).total_seconds()) if row["status"] == "waiting" else None
            board[row["status"]].append(row)
        board["called"].sort(key=lambda r: r["called_at"], reverse=True)  # the latest call on top
        board["in_consultation"].sort(key=lambda r: r["consultation_started_at"])
        waits = [r["wait_seconds"] for r in board["waiting"]]
        totals = {status: len(board[status]) for status in STATUS_ORDER}
        totals["longest_wait_seconds"] = max(waits, default=0)
        ordered = [row for status in STATUS_ORDER for row in board[status]]
        return {**board, "rows": ordered, "totals": totals}

    return {"department_id": department_id, "now": now.isoformat(), **from_view("queue_board", query)}


GROUPS = {
    "department": ("department_id", "department_name"),
    "provider": ("provider_id", "provider_name"),
    "day": ("day", "day"),
}
SUMS = (
    "slots",
    "capacity",
    "slot_booked",
    "booked",
    "attended",
    "no_shows",
    "cancelled",
    "arrivals",
    "walk_ins",
    "seen",
    "left_unseen",
    "wait_seconds",
)


def rates(row: dict) -> dict:
    """The ratios of a row of sums: no-show rate and utilisation (percent, one decimal), average wait
    (minutes, one decimal); None where the denominator is nothing."""
    attended_or_not = row["attended"] + row["no_shows"]
    row["no_show_rate"] = round(100 * row["no_shows"] / attended_or_not, 1) if attended_or_not else None
    row["utilisation"] = round(100 * row["slot_booked"] / row["capacity"], 1) if row["capacity"] else None
    row["average_wait_minutes"] = round(row["wait_seconds"] / row["seen"] / 60, 1) if row["seen"] else None
    return row


def appointment_figures(
    *,
    start: datetime.date,
    end: datetime.date,
    group_by: str = "department",
    department_id: int | None = None,
    provider_id: int | None = None,
) -> dict:
    """Appointments, no-shows, waits and slot utilisation from `start` to `end` (local days, inclusive),
    grouped by department, provider or day; a series per day for the charts; totals."""
    key, name = GROUPS[group_by]
    sums = ", ".join(f"sum({column})::bigint AS {column}" for column in SUMS)
    where = "WHERE day BETWEEN %(start)s AND %(end)s"
    where += " AND department_id = %(department)s" if department_id else ""
    where += " AND provider_id = %(provider)s" if provider_id else ""
    params = {"start": start, "end": end, "department": department_id, "provider": provider_id}

    def query(cursor):
        grouped = rows(
            cursor,
            f"SELECT {key} AS key, {name} AS name, {sums} FROM {DAYS.name} {where} GROUP BY 1, 2 ORDER BY 2, 1",
            params,
        )
        series = rows(cursor, f"SELECT day, {sums} FROM {DAYS.name} {where} GROUP BY day ORDER BY day", params)
        (totals,) = rows(cursor, f"SELECT {sums} FROM {DAYS.name} {where}", params)
        totals = rates({column: int(totals[column] or 0) for column in SUMS})
        for row in grouped:
            if group_by == "day":
                row["name"] = row["key"].isoformat()
            elif group_by == "provider" and not row["key"]:
                row["name"] = "(walk-ins nobody saw)"
        return {"rows": [rates(r) for r in grouped], "series": [rates(r) for r in series], "totals": totals}

    header = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "group_by": group_by,
        "department": department_id,
        "provider": provider_id,
    }
    return {**header, **from_view("appointments", query)}
