"""What a projection is: materialized views, the models whose changes dirty them, and a Redis summary."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
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

    @property
    def kind(self) -> str:
        return "TABLE" if self.increment else "MATERIALIZED VIEW"

    def create_sql(self) -> str:
        if self.increment:
            parts = [f"CREATE TABLE IF NOT EXISTS {self.name} AS {self.select}"]
        else:
            parts = [f"CREATE MATERIALIZED VIEW IF NOT EXISTS {self.name} AS {self.select} WITH DATA"]
        parts.append(f"CREATE UNIQUE INDEX IF NOT EXISTS {self.name}_key ON {self.name} ({', '.join(self.unique)})")
        parts += [
            # a column may say its order ("diagnoses DESC"); the index is named after the columns alone
            f"CREATE INDEX IF NOT EXISTS {self.name}_{'_'.join(c.split()[0] for c in cols)} "
            f"ON {self.name} ({', '.join(cols)})"
            for cols in self.indexes
        ]
        return ";\n".join(parts)

    def drop_sql(self) -> str:
        return f"DROP {self.kind} IF EXISTS {self.name}"


# Beat's two reconciliation runs (hmis/settings/base.py CELERY_BEAT_SCHEDULE names them by these values).
HOURLY, NIGHTLY = "hourly", "nightly"


@dataclass
class Projection:
    name: str
    views: tuple[View, ...]
    sources: tuple[str, ...]  # "app_label.Model" whose saves/deletes dirty this projection
    title: str = ""
    summary_keys: tuple[str, ...] = field(default=())
    # wants(source, instance, update_fields, created) -> does this change concern the projection? (None:
    # every change does.)
    wants: Callable[[str, object, object, bool], bool] | None = None
    # A projection to refresh right after this one: a history view's recent partner, whose window starts
    # at the history's last refresh and whose summary reads both (reports/projections/window.py).
    then: str = ""
    # Which of beat's reconciliation runs recomputes it (reports/engine/reconcile.py): HOURLY, or NIGHTLY for
    # those whose live recomputation takes seconds to tens of seconds of the primary at hospital scale.
    reconcile: str = HOURLY

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
