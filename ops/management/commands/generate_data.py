import datetime
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from ops.datagen.hospital import Counts, Hospital, empty_write_model


class Command(BaseCommand):
    help = (
        "Generate a deterministic hospital (default: 200k patients, 1M encounters and invoices, 3M invoice lines, "
        "1.2M diagnoses, 2k drugs, 20k batches, 1M dispenses) with COPY, then refresh every projection."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0, help="multiply every count (0.01 for a quick set)")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--as-of",
            type=datetime.date.fromisoformat,
            default=None,
            help="history ends at the start of this day (default: today); same seed + date = same rows",
        )
        parser.add_argument("--reset", action="store_true", help="empty the write model's tables first")
        parser.add_argument("--no-refresh", action="store_true", help="skip refreshing the projections")
        parser.add_argument(
            "--no-progress", dest="progress", action="store_false", help="no progress bars (seed_demo, logs)"
        )

    def handle(self, *args, scale, seed, as_of, reset, no_refresh, progress=True, **options):
        if scale <= 0:
            raise CommandError("--scale must be positive.")
        started = time.perf_counter()
        say = self.stdout.write
        if reset:
            say("emptying the write model's tables")
            empty_write_model()
        counts = Counts().scaled(scale)
        say(f"generating {counts} (seed {seed})")
        hospital = Hospital(counts, seed=seed, as_of=as_of or timezone.localdate(), say=say, progress=progress)
        try:
            stats = hospital.run()
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        loaded = time.perf_counter()
        say(f"loaded in {loaded - started:.0f} s; vacuuming and analysing")
        with connection.cursor() as cursor:
            for table in (*hospital.base, "billing_invoicecounter"):
                cursor.execute(f"VACUUM (ANALYZE) {table}")
        vacuumed = time.perf_counter()
        say(f"vacuumed in {vacuumed - loaded:.0f} s")
        if not no_refresh:
            call_command("refresh_projections", stdout=self.stdout)
        finished = time.perf_counter()
        rows = ", ".join(f"{name} {count:,}" for name, count in stats.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {sum(stats.values()):,} rows ({rows}) in {finished - started:.0f} s "
                f"(load {loaded - started:.0f} s, vacuum {vacuumed - loaded:.0f} s, "
                f"projections {finished - vacuumed:.0f} s)."
            )
        )
