"""What a projection is: its views, the models whose changes dirty them, its schedule and its Redis summary."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

CENT = Decimal("0.01")


def cents(value) -> int:
    """Money as integer cents for Redis (never floats)."""
    return int((Decimal(value or 0) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_cents(value) -> Decimal:
    return (Decimal(int(value or 0)) / 100).quantize(CENT)


@dataclass(frozen=True)
class Increment:
    """How a view that follows every write is kept up to date without recomputing all of it: it is a table
    whose rows are grouped by `key`, and a refresh recomputes only the keys the new changes touch
    (reports/engine/increments.py). Recomputing a whole view after every write costs more than the writes.

    `touched`: SQL giving the keys touched by %(changes)s, a JSON array of [source, object_id] pairs from
    the outbox; a row with a NULL first column means a change it cannot place (a deleted row), and then
    the whole view is recomputed. `select`: the view's SELECT for the touched keys only, with {touched}
    standing for a FROM item of them. Changes from sources outside `sources` recompute the whole view.
    """

    key: tuple[tuple[str, str], ...]  # (column, SQL type)
    sources: tuple[str, ...]  # "app_label.model", lower case, as in the outbox
    touched: str
    select: str


# For `Increment.touched`: the changes as rows (source, id).
CHANGES = """WITH changes AS (
    SELECT c->>0 AS source, (c->>1)::bigint AS id FROM jsonb_array_elements(%(changes)s::jsonb) AS c
)"""


@dataclass(frozen=True)
class View:
    name: str
    select: str  # the SELECT that defines it (also run live by reconciliation)
    unique: tuple[str, ...]  # the unique index REFRESH ... CONCURRENTLY needs
    indexes: tuple[tuple[str, ...], ...] = ()
    # The rows readers take from this view, when not all (a history view: those before the cutoff, see
    # reports/projections/window.py). Reconciliation compares only these.
    held: str = ""
    # Set for a view kept as a table and refreshed key by key instead of REFRESH MATERIALIZED VIEW.
    increment: Increment | None = None


@dataclass(frozen=True)
class Function:
    """An SQL function views call (the migration creates it before them): `signature` as DROP FUNCTION
    names it, `sql` the CREATE OR REPLACE FUNCTION statement."""

    signature: str
    sql: str

    @property
    def name(self) -> str:
        return self.signature.split("(")[0]


@dataclass(frozen=True)
class DashboardFields:
    """What a projection adds to the dashboard's Redis hash (reports/dashboard.py): `compose(found)` gives
    {dashboard field: value as text} from the projection's own summary, `found` being store.read's answer
    for the hash `parts` (and the first `top` entries of its sorted set)."""

    compose: Callable[[dict], dict[str, str]]
    parts: tuple[str, ...] = ("summary",)
    top: int = 0


# Beat's two reconciliation runs (hmis/settings/read_side.py CELERY_BEAT_SCHEDULE names them by these values).
HOURLY, NIGHTLY = "hourly", "nightly"
# How a projection depends on the calendar (what the midnight task, reports.reage_summaries, does for it):
# its views hold the date (CURRENT_DATE, or a window the date moves) and are refreshed, or only its Redis
# summary does ("today", "this month", ages) and is rebuilt from the views as they are.
VIEWS, SUMMARY = "views", "summary"


@dataclass
class Projection:
    """One projection, declared once: everything else (registry order, migrations, intervals, the midnight
    and reconciliation runs, the dashboard) is derived from these fields. docs/how-to-add-a-projection.md"""

    name: str
    views: tuple[View, ...]
    sources: tuple[str, ...]  # "app_label.Model" whose saves/deletes dirty this projection
    title: str = ""
    # wants(source, instance, update_fields, created) -> does this change concern the projection? (None:
    # every change does.)
    wants: Callable[[str, object, object, bool], bool] | None = None
    # A projection to refresh right after this one: a history view's recent partner, whose window starts
    # at the history's last refresh and whose summary reads both (reports/projections/window.py). The
    # registry puts this one before it.
    then: str = ""
    # Which of beat's reconciliation runs recomputes it (reports/engine/reconcile.py): HOURLY, or NIGHTLY for
    # those whose live recomputation takes seconds to tens of seconds of the primary at hospital scale.
    reconcile: str = HOURLY
    # Least seconds between two refreshes started by writes, for the costly ones that need not follow
    # every write (None: PROJECTION_MIN_INTERVAL_SECONDS); PROJECTION_MIN_INTERVALS overrides it by name.
    min_interval: float | None = None
    # VIEWS or SUMMARY when the calendar moves it (see above); "" when it does not.
    calendar: str = ""
    # Its numbers on the dashboard, if any.
    dashboard: DashboardFields | None = None
    # SQL functions its views call.
    functions: tuple[Function, ...] = ()
    # A live board people watch (the bed board, the clinic queue): its refreshes go to the "live" queue,
    # which a worker of its own serves (Procfile), so they never wait behind a costly refresh.
    live: bool = False
    # For a projection kept key by key whose rows people read one at a time (the patient view): how
    # reconciliation compares it row by row and field by field, and repairs only the rows that differ.
    # differences(cursor) -> [{"key", "field", "view", "source"}], run in one REPEATABLE READ snapshot;
    # recompute(cursor, keys) rewrites those rows. Without them: the whole views are compared (EXCEPT ALL).
    differences: Callable | None = None
    recompute: Callable | None = None

    def build_summary(self, cursor) -> dict[str, dict]:
        """{redis key part: {field: value}} computed from the (just refreshed) views. Values are ints/strs."""
        return {}

    def meta(self, *, refreshed_at, fresh_as_of) -> dict:
        return {
            "refreshed_at": refreshed_at.isoformat() if refreshed_at else "",
            "fresh_as_of": fresh_as_of.isoformat() if fresh_as_of else "",
            "built_on": timezone.localdate().isoformat(),
        }


def rows(cursor, sql: str, params=()) -> list[dict]:
    cursor.execute(sql, params)
    names = [c.name for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def as_json(value) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)
