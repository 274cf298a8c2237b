from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core import roles as role_table
from core.models import KEY_PREFIX_LENGTH, ApiClient, hash_key


class Command(BaseCommand):
    help = "Create an integrator's API client with the given roles and print its key (shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--roles", nargs="+", required=True, choices=sorted(role_table.names()), metavar="ROLE")

    @transaction.atomic(using="default")
    def handle(self, *args, name, roles, **options):
        if ApiClient.objects.filter(name=name).exists():
            raise CommandError(f"An API client named {name!r} already exists.")
        user = User.objects.create(username=f"api:{name}"[:150], first_name=name[:150], is_active=True)
        user.set_unusable_password()
        user.save()
        user.groups.set(Group.objects.filter(name__in=roles))
        key = ApiClient.new_key()
        ApiClient.objects.create(name=name, user=user, key_prefix=key[:KEY_PREFIX_LENGTH], key_hash=hash_key(key))
        self.stdout.write(self.style.SUCCESS(f"API client {name!r} created with roles: {', '.join(roles)}."))
        self.stdout.write("Its key (store it now; it is kept only as a hash):")
        self.stdout.write(key)
        self.stdout.write(f"Send it as:  Authorization: Api-Key {key}")
