import sys

from django.core.management.base import BaseCommand

from reports.engine import migration_writer, schema
from reports.projections import REGISTRY


class Command(BaseCommand):
    help = (
        "Write the next reports migration: literal SQL taking the views the migrations so far create to the "
        "ones reports/projections/ declares (drop + create what changed, create what is new)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", default="projections", help="The migration's name after its number.")
        parser.add_argument("--check", action="store_true", help="Write nothing; exit 1 when a migration is due.")
        parser.add_argument("--dry-run", action="store_true", help="Print the migration instead of writing it.")

    def handle(self, *args, name, check, dry_run, **options):
        migrations = migration_writer.loader()
        applied = migration_writer.applied(migrations)
        plan = schema.plan(applied, schema.declared(REGISTRY.values()))
        if not plan:
            self.stdout.write("The migrations create what the projections declare: no migration needed.")
            return
        for obj, why in plan.drops:
            self.stdout.write(f"  drop   {obj.name} ({why})")
        for obj, why in plan.creates:
            self.stdout.write(f"  create {obj.name} ({why})")
        if check:
            sys.exit(1)
        source = migration_writer.render(plan, applied, migrations)
        if dry_run:
            self.stdout.write(source)
            return
        path = migration_writer.next_path(migrations, name)
        path.write_text(source)
        self.stdout.write(self.style.SUCCESS(f"Wrote {path}"))
