"""The database objects the projection declarations describe, and what it takes to get from one set to another.

Each object is one statement: a function, a materialized view or table (a view refreshed key by key), or an
index on one of them. An object depends on the objects whose names its statement mentions (a view reads
another, an index is on its view, a view calls the cutoff function): those are created before it, and a
view that is dropped takes every view that reads it along (dropped first, created again after).
Migrations hold these statements literally (reports/engine/migration_writer.py writes them).
"""

import re
from dataclasses import dataclass

from reports.projections.base import Projection, View

FUNCTION, MATERIALIZED_VIEW, TABLE, INDEX = "FUNCTION", "MATERIALIZED VIEW", "TABLE", "INDEX"
RELATIONS = (MATERIALIZED_VIEW, TABLE)


@dataclass(frozen=True)
class SchemaObject:
    name: str
    kind: str
    sql: str  # the statement that creates it
    on: str = ""  # an index's view
    signature: str = ""  # a function's, as DROP FUNCTION names it

    @property
    def drop_sql(self) -> str:
        return f"DROP FUNCTION {self.signature}" if self.kind == FUNCTION else f"DROP {self.kind} {self.name}"


def statement(sql: str) -> str:
    """One statement as migrations hold it: no blank ends, no trailing blanks on its lines."""
    return "\n".join(line.rstrip() for line in sql.strip().splitlines())


def view_objects(view: View) -> list[SchemaObject]:
    """The view (a table when refreshed key by key) and its indexes: the unique one REFRESH ...
    CONCURRENTLY needs, named <view>_key, and the others named after their columns."""
    select = view.select.strip()
    if view.increment:
        objects = [SchemaObject(view.name, TABLE, statement(f"CREATE TABLE {view.name} AS\n{select}"))]
    else:
        create = f"CREATE MATERIALIZED VIEW {view.name} AS\n{select}\nWITH DATA"
        objects = [SchemaObject(view.name, MATERIALIZED_VIEW, statement(create))]
    key = f"{view.name}_key"
    objects.append(
        SchemaObject(key, INDEX, f"CREATE UNIQUE INDEX {key} ON {view.name} ({', '.join(view.unique)})", on=view.name)
    )
    for columns in view.indexes:
        # a column may say its order or operator class ("diagnoses DESC", "name gin_trgm_ops"); the index is
        # named after the columns alone; a first item "USING gin" says the method
        method = ""
        if columns[0].startswith("USING "):
            method, columns = f" {columns[0]}", columns[1:]
        name = f"{view.name}_{'_'.join(c.split()[0] for c in columns)}"
        objects.append(
            SchemaObject(
                name, INDEX, f"CREATE INDEX {name} ON {view.name}{method} ({', '.join(columns)})", on=view.name
            )
        )
    return objects


def declared(projections) -> dict[str, SchemaObject]:
    """{name: object} for the given projections, in an order to create them in."""
    objects: dict[str, SchemaObject] = {}
    for projection in projections:
        projection: Projection
        for function in projection.functions:
            found = SchemaObject(function.name, FUNCTION, statement(function.sql), signature=function.signature)
            if objects.setdefault(found.name, found) != found:
                raise ValueError(f"function {found.name} is declared twice, differently")
        for view in projection.views:
            for found in view_objects(view):
                if found.name in objects:
                    raise ValueError(f"{found.name} is declared twice")
                objects[found.name] = found
    return creation_order(objects)


def mentions(sql: str, name: str) -> bool:
    return re.search(rf"\b{re.escape(name)}\b", sql) is not None


def depends_on(obj: SchemaObject, objects: dict[str, SchemaObject]) -> set[str]:
    return {name for name in objects if name != obj.name and mentions(obj.sql, name)}


def creation_order(objects: dict[str, SchemaObject]) -> dict[str, SchemaObject]:
    """The objects, each after those it depends on, otherwise in the given order."""
    needs = {name: depends_on(obj, objects) for name, obj in objects.items()}
    order: dict[str, SchemaObject] = {}
    while len(order) < len(objects):
        ready = next((n for n in objects if n not in order and needs[n] <= order.keys()), None)
        if ready is None:
            raise ValueError(f"objects that depend on each other in a cycle: {set(objects) - set(order)}")
        order[ready] = objects[ready]
    return order


@dataclass
class Plan:
    """Statements that take the database from `applied` to `declared`: drops (each with what restores it),
    then creates (each with what undoes it), and why each is there."""

    drops: list[tuple[SchemaObject, str]]  # (applied object, reason)
    creates: list[tuple[SchemaObject, str]]  # (declared object, reason)

    def __bool__(self) -> bool:
        return bool(self.drops or self.creates)


def plan(applied: dict[str, SchemaObject], declared: dict[str, SchemaObject]) -> Plan:
    """What changed between the objects the migrations created (`applied`, in the order they were created)
    and the declared ones: drop + create for a changed view or index (a changed function is replaced in
    place), create for a new one, drop for one no longer declared; a dropped view first drops every view
    that reads it (PostgreSQL refuses otherwise), which is then created again from its declaration."""
    changed = {n for n, obj in declared.items() if n in applied and applied[n].sql != obj.sql}
    gone = set(applied) - set(declared)
    dropping = {n for n in changed | gone if applied[n].kind in RELATIONS}
    reason = dict.fromkeys(changed, "changed") | dict.fromkeys(gone, "no longer declared")
    grew = True
    while grew:  # views reading a dropped view, transitively
        readers = {
            n
            for n, obj in applied.items()
            if obj.kind in RELATIONS and n not in dropping and depends_on(obj, applied) & dropping
        }
        for n in readers:
            reason[n] = f"reads {', '.join(sorted(depends_on(applied[n], applied) & dropping))}, which is dropped"
        dropping |= readers
        grew = bool(readers)

    drops = [
        (obj, reason[n])
        for n, obj in applied.items()
        if obj.kind == INDEX and n in reason and obj.on not in dropping  # a dropped view takes its indexes
    ]
    # Readers before what they read: the reverse of the order they were created in.
    drops += [(applied[n], reason[n]) for n in reversed(applied) if n in dropping]
    drops += [(applied[n], reason[n]) for n in applied if n in gone and applied[n].kind == FUNCTION]

    creates = []
    for n, obj in declared.items():
        if n not in applied:
            creates.append((obj, "new"))
        elif n in dropping:
            creates.append((obj, reason[n]))
        elif n in changed:
            creates.append((obj, "changed"))
        elif obj.kind == INDEX and obj.on in dropping:
            creates.append((obj, f"on {obj.on}, which is created again"))
    return Plan(drops=drops, creates=creates)
