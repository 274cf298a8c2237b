from django.core.management.base import BaseCommand, CommandError

from core import roles as role_table
from core.api.commands import api_client_create
from core.errors import DomainError


class Command(BaseCommand):
    help = "Create an integrator's API client with the given roles and print its key (shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--roles", nargs="+", required=True, choices=sorted(role_table.names()), metavar="ROLE")

    def handle(self, *args, name, roles, **options):
        try:
            client, key = api_client_create(name=name, roles=roles)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"API client {client.name!r} created with roles: {', '.join(roles)}."))
        self.stdout.write("Its key (store it now; it is kept only as a hash):")
        self.stdout.write(key)
        self.stdout.write(f"Send it as:  Authorization: Api-Key {key}")
