"""`manage.py fhir_exports`: the FHIR bulk exports running (or all, with --all), each with a progress bar;
`--watch` redraws them every two seconds until none is running."""

import time

from django.core.management.base import BaseCommand

from fhir_api import queries

BAR = 30


class Command(BaseCommand):
    help = "Show FHIR Bulk Data exports and their progress."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="also the finished, failed and cancelled ones")
        parser.add_argument("--watch", action="store_true", help="redraw every 2 s until none is running")

    def handle(self, *args, **options):
        while True:
            exports = list(queries.bulk_exports()[:50] if options["all"] else queries.running_exports())
            if not exports:
                self.stdout.write("No export is running." if not options["all"] else "No exports.")
            for export in exports:
                filled = BAR * export.percent // 100
                bar = "#" * filled + "." * (BAR - filled)
                self.stdout.write(
                    f"{export.pk}  {export.level:<7} {export.status:<9} [{bar}] {export.percent:>3}%  "
                    f"{export.rows_done:,}/{export.rows_total:,} rows  {export.current_type or ''}  "
                    f"by {export.requested_by}  since {export.requested_at:%Y-%m-%d %H:%M}"
                )
            if not options["watch"] or not any(e.active for e in exports):
                return
            time.sleep(2)
            self.stdout.write("")
