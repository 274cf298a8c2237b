import sys
import time

from django.core.management.base import BaseCommand, CommandError

from reports.engine import refresh
from reports.projections import REGISTRY


class Command(BaseCommand):
    help = "Refresh projections now (all, or the ones named): views CONCURRENTLY, then Redis summaries."

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", metavar="name", help=f"any of: {', '.join(REGISTRY)}")

    def handle(self, *args, names, **options):
        unknown = set(names) - set(REGISTRY)
        if unknown:
            raise CommandError(f"Unknown projection(s): {', '.join(sorted(unknown))}. Known: {', '.join(REGISTRY)}")
        names = names or list(REGISTRY)
        width = max(len(n) for n in names)
        started = time.perf_counter()
        for index, name in enumerate(names, start=1):
            bar = "#" * index + "." * (len(names) - index)
            self.stdout.write(f"[{bar}] {index}/{len(names)} {name:<{width}} ", ending="")
            sys.stdout.flush()
            t0 = time.perf_counter()
            result = refresh.refresh(name, force=True)
            self.stdout.write(f"{result['status']} in {time.perf_counter() - t0:.2f} s")
        refresh.rebuild_dashboard()
        self.stdout.write(
            self.style.SUCCESS(f"Refreshed {len(names)} projection(s) in {time.perf_counter() - started:.2f} s.")
        )
