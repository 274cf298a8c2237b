import datetime

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from inpatient import commands


class Command(BaseCommand):
    help = (
        "Charge every occupied midnight not charged yet, one invoice line each at the ward's bed-day price "
        "(catch up after an outage: --since the first night missed). Safe to run again: nothing is charged twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", type=datetime.date.fromisoformat, help="First night (YYYY-MM-DD).")
        parser.add_argument("--through", type=datetime.date.fromisoformat, help="Last night (default: last night).")

    def handle(self, *args, since=None, through=None, **options):
        try:
            charged = commands.bed_days_charge(since=since, through=through)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"{charged} bed-day(s) charged."))
