from django.core.management.base import BaseCommand

from reports.engine import reconcile
from reports.projections import REGISTRY


class Command(BaseCommand):
    help = "Recompute each projection from the write model, report drift (count, largest, keys), repair it."

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", metavar="name")
        parser.add_argument("--dry-run", action="store_true", help="Report only; repair nothing.")

    def handle(self, *args, names, dry_run, **options):
        for name in names or list(REGISTRY):
            run = reconcile.reconcile(name, repair=not dry_run)
            if not run.drift:
                self.stdout.write(self.style.SUCCESS(f"{name:<18} no drift"))
                continue
            action = "repaired" if run.repaired else "NOT repaired (dry run)"
            self.stdout.write(
                self.style.WARNING(
                    f"{name:<18} drift: {run.view_rows_differing} view row(s), {run.summary_fields_differing} "
                    f"summary field(s), largest difference {run.largest_difference}; {action}"
                )
            )
            for sample in run.sample_keys:
                self.stdout.write(f"    {sample}")
