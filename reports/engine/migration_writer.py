"""The projections' migrations: what the migrations so far have created, and the next one, in literal SQL.

Migrations never import the declarations: each holds the statements it runs, as text, so that applying it
next year runs what it ran today. The objects they have created are read back from those statements
(`applied`): the writer understands the statements it writes (one per list item of a RunSQL) and passes
over any other. `manage.py makeprojectionmigration` writes the difference from the declarations (`plan`
in reports/engine/schema.py); a test fails while there is one.
"""

import json
import re
import textwrap
from pathlib import Path

from django.apps import apps
from django.db.migrations import RunSQL
from django.db.migrations.autodetector import MigrationAutodetector
from django.db.migrations.loader import MigrationLoader

from reports.engine.schema import FUNCTION, INDEX, RELATIONS, Plan, SchemaObject, mentions, statement

APP = "reports"

_CREATE_RELATION = re.compile(r"CREATE (MATERIALIZED VIEW|TABLE) (?:IF NOT EXISTS )?(\w+)")
_CREATE_INDEX = re.compile(r"CREATE (?:UNIQUE )?INDEX (?:IF NOT EXISTS )?(\w+) ON (\w+)")
_CREATE_FUNCTION = re.compile(r"CREATE (?:OR REPLACE )?FUNCTION (\w+)\s*\(([^)]*)\)")
_DROP = re.compile(r"DROP (MATERIALIZED VIEW|TABLE|INDEX|FUNCTION) (?:IF EXISTS )?(\w+)")


def loader() -> MigrationLoader:
    """The migrations on disk (no database: as if none were applied, so squashed ones stand for theirs)."""
    return MigrationLoader(None, ignore_no_migrations=True)


def _leaf(migrations: MigrationLoader, app: str) -> tuple[str, str] | None:
    leaves = migrations.graph.leaf_nodes(app)
    if len(leaves) > 1:
        raise ValueError(f"{app} has more than one latest migration: {leaves}; merge them first")
    return leaves[0] if leaves else None


def _statements(operation: RunSQL) -> list[str]:
    sqls = [operation.sql] if isinstance(operation.sql, str) else operation.sql
    return [sql[0] if isinstance(sql, list | tuple) else sql for sql in sqls]


def _apply(objects: dict[str, SchemaObject], sql: str) -> None:
    """Update `objects` with what one statement does (a re-created object moves to the end: the order
    stays one they can be created in)."""
    sql = statement(sql)
    if found := _CREATE_RELATION.match(sql):
        kind, name = found.groups()
        objects.pop(name, None)
        objects[name] = SchemaObject(name, kind, sql)
    elif found := _CREATE_INDEX.match(sql):
        name, relation = found.groups()
        objects.pop(name, None)
        objects[name] = SchemaObject(name, INDEX, sql, on=relation)
    elif found := _CREATE_FUNCTION.match(sql):
        name, arguments = found.groups()
        types = ", ".join(argument.split()[-1] for argument in arguments.split(",") if argument.strip())
        objects.pop(name, None)
        objects[name] = SchemaObject(name, FUNCTION, sql, signature=f"{name}({types})")
    elif found := _DROP.match(sql):
        kind, name = found.groups()
        objects.pop(name, None)
        if kind in RELATIONS:  # its indexes go with it
            for index in [n for n, obj in objects.items() if obj.on == name]:
                del objects[index]


def applied(migrations: MigrationLoader | None = None) -> dict[str, SchemaObject]:
    """{name: object} the reports migrations create, in the order they leave them created."""
    migrations = migrations or loader()
    objects: dict[str, SchemaObject] = {}
    leaf = _leaf(migrations, APP)
    for node in migrations.graph.forwards_plan(leaf) if leaf else ():
        if node[0] != APP:
            continue
        for operation in migrations.graph.nodes[node].operations:
            if isinstance(operation, RunSQL):
                for sql in _statements(operation):
                    _apply(objects, sql)
    return objects


def _literal(text: str) -> str:
    """Python source for `text`, as ruff format leaves it: double quotes, multi-line SQL as written."""
    if "\\" in text or '"' in text:
        return json.dumps(text, ensure_ascii=False)
    return f'"""{text}"""' if "\n" in text else f'"{text}"'


def _run_sql(comment: str, sql: list[str], reverse: list[str]) -> str:
    def items(texts: list[str]) -> str:
        return "".join(f"                {_literal(text)},\n" for text in texts)

    return (
        f"        # {comment}\n"
        f"        migrations.RunSQL(\n"
        f"            sql=[\n{items(sql)}            ],\n"
        f"            reverse_sql=[\n{items(reverse)}            ],\n"
        f"        ),\n"
    )


def operations(plan: Plan, applied_objects: dict[str, SchemaObject]) -> list[str]:
    """The RunSQL operations (as source) of `plan`: each drop undone by the statements that created what
    it drops, each view created with its indexes and undone by dropping it."""
    out = []
    for obj, why in plan.drops:
        restore = [obj.sql]
        if obj.kind in RELATIONS:
            restore += [o.sql for o in applied_objects.values() if o.on == obj.name]
        out.append(_run_sql(f"drop {obj.name}: {why}", [obj.drop_sql], restore))
    created = {obj.name for obj, _ in plan.creates}
    for obj, why in plan.creates:
        if obj.kind == INDEX and obj.on in created:
            continue  # created with its view
        sql = [obj.sql]
        if obj.kind in RELATIONS:
            sql += [o.sql for o, _ in plan.creates if o.on == obj.name]
        old = applied_objects.get(obj.name)
        undo = [old.sql] if obj.kind == FUNCTION and old else [obj.drop_sql]
        out.append(_run_sql(f"{obj.name}: {why}", sql, undo))
    return out


def dependencies(plan: Plan, migrations: MigrationLoader) -> list[tuple[str, str]]:
    """The latest reports migration, and the latest migration of every app whose tables the new
    statements read (so that the views are created after those tables)."""
    tables = {model._meta.db_table: model._meta.app_label for model in apps.get_models()}
    new = [obj.sql for obj, _ in plan.creates]
    labels = {APP} | {label for table, label in tables.items() if any(mentions(sql, table) for sql in new)}
    return sorted(leaf for label in labels if (leaf := _leaf(migrations, label)))


def describe(plan: Plan) -> str:
    created = sorted(obj.name for obj, why in plan.creates if why == "new" and obj.kind != INDEX)
    changed = sorted({obj.name for obj, why in plan.creates if why == "changed"})
    gone = sorted(obj.name for obj, why in plan.drops if why == "no longer declared")
    parts = [
        f"{label}: {', '.join(names)}"
        for label, names in (("Creates", created), ("Changes", changed), ("Drops", gone))
        if names
    ]
    return textwrap.fill("Projections. " + "; ".join(parts) + ".", width=110)


def render(plan: Plan, applied_objects: dict[str, SchemaObject], migrations: MigrationLoader) -> str:
    deps = "".join(f"        {app_and_name!r},\n".replace("'", '"') for app_and_name in dependencies(plan, migrations))
    return (
        f'"""{describe(plan)}\n\n'
        "Generated by `manage.py makeprojectionmigration` from the declarations in reports/projections/, as\n"
        "literal SQL. Never edit it once applied: change the declaration and generate the next migration.\n"
        '"""\n\n'
        "from django.db import migrations\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"    dependencies = [\n{deps}    ]\n\n"
        f"    operations = [\n{''.join(operations(plan, applied_objects))}    ]\n"
    )


def next_path(migrations: MigrationLoader, name: str) -> Path:
    """reports/migrations/NNNN_<name>.py, numbered after the latest one (a squashed one counts as the last
    it replaces)."""
    numbers = [MigrationAutodetector.parse_number(n) or 0 for app, n in migrations.disk_migrations if app == APP]
    folder = Path(apps.get_app_config(APP).path) / "migrations"
    return folder / f"{max(numbers, default=0) + 1:04d}_{name}.py"
