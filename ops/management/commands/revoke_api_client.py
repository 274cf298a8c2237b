from django.core.management.base import BaseCommand, CommandError

from core.api.commands import api_client_revoke
from core.errors import DomainError
from core.models import ApiClient


class Command(BaseCommand):
    help = "Revoke an integrator's API key: it stops working, the client stays on record for the audit trail."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the client's name (as given to create_api_client)")

    def handle(self, *args, name, **options):
        client = ApiClient.objects.using("default").filter(name=name).first()
        if client is None:
            raise CommandError(f"No API client is named {name!r}.")
        try:
            api_client_revoke(client_id=client.pk)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"API client {name!r} revoked."))
