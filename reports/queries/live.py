"""Reports computed live from the write tables, with the same SQL (REPORTS_LIVE: the benchmark's "before").

Every view a projection declares has its defining SELECT (View.select, what reconciliation also runs
live). A report's statement that names views is run as `WITH <view> AS (<its SELECT>), ... <statement>`:
a CTE named like a table hides the table, so the report's own SQL, unchanged, reads the write tables.
Views that read other views (the monthly revenue from the daily one) bring those along, first. A view
kept key by key (a patient's alerts) that the statement asks for one key (`patient_id = %(patient)s`) is
computed for that key only, with its increment's SELECT, as a refresh computes a touched key.
"""

import functools
import re


@functools.cache
def _views() -> dict[str, object]:
    from reports.projections import REGISTRY

    return {view.name: view for projection in REGISTRY.values() for view in projection.views}


@functools.cache
def _pattern() -> re.Pattern:
    return re.compile(r"\b(" + "|".join(map(re.escape, sorted(_views(), key=len, reverse=True))) + r")\b")


def _named(sql: str) -> list[str]:
    """The views `sql` names, with the views they read, each after what it reads."""
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name in ordered:
            return
        for inner in dict.fromkeys(_pattern().findall(_views()[name].select)):
            if inner != name:
                visit(inner)
        ordered.append(name)

    for name in dict.fromkeys(_pattern().findall(sql)):
        visit(name)
    return ordered


def sql(statement: str, *, with_params: bool) -> str:
    """`statement` reading the write tables instead of the views it names."""
    names = _named(statement)
    if not names:
        return statement
    definitions = []
    for name in names:
        view = _views()[name]
        select = view.select.replace("%", "%%") if with_params else view.select
        if view.increment and len(view.increment.key) == 1 and with_params:
            column, kind = view.increment.key[0]
            if asked := re.search(rf"\b{column}\s*=\s*(%\(\w+\)s)", statement):
                select = view.increment.select.replace("%", "%%").replace(
                    "{touched}", f"(SELECT {asked.group(1)}::{kind} AS {column})"
                )
        definitions.append(f"{name} AS ({select})")
    head = statement.lstrip()
    if head[:4].upper() == "WITH" and not head[4:5].isalnum():
        return f"WITH {', '.join(definitions)}, {head[4:]}"
    return f"WITH {', '.join(definitions)}\n{statement}"


class Cursor:
    """A cursor whose statements read the write tables in place of the projections' views."""

    def __init__(self, cursor):
        self._cursor = cursor

    def execute(self, statement, params=None):
        return self._cursor.execute(sql(statement, with_params=params is not None), params)

    def __getattr__(self, name):
        return getattr(self._cursor, name)
