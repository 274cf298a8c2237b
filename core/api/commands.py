"""Commands for integrators' API clients: made with a key shown once, revoked (never deleted: the audit
trail names them)."""

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from core import roles as role_table
from core.commands import get_locked, save_new
from core.errors import Conflict, InvalidInput
from core.models import KEY_PREFIX_LENGTH, ApiClient, hash_key


@transaction.atomic(using="default")
def api_client_create(*, name: str, roles: list[str], created_by: User | None = None) -> tuple[ApiClient, str]:
    """An API client acting as a new service-account user holding `roles`; returns it and its key (the
    key is stored only as a hash: this is the one time it can be shown)."""
    name = name.strip()
    if not name:
        raise InvalidInput("Name the client.", field="name")
    unknown = sorted(set(roles) - set(role_table.names()))
    if unknown or not roles:
        raise InvalidInput(f"Choose roles among: {', '.join(role_table.names())}.", field="roles")
    if ApiClient.objects.filter(name=name).exists():
        raise InvalidInput(f"An API client named {name!r} already exists.", field="name")
    user = User(username=f"api:{name}"[:150], first_name=name[:150], is_active=True)
    user.set_unusable_password()
    save_new(user, on_conflict=f"A user named {user.username!r} already exists.", field="name")
    user.groups.set(Group.objects.filter(name__in=roles))
    key = ApiClient.new_key()
    client = ApiClient(name=name, user=user, key_prefix=key[:KEY_PREFIX_LENGTH], key_hash=hash_key(key))
    save_new(client, on_conflict=f"An API client named {name!r} already exists.", field="name")
    return client, key


@transaction.atomic(using="default")
def api_client_revoke(*, client_id: int, revoked_by: User | None = None) -> ApiClient:
    """The key stops working (within USER_CACHE_SECONDS in processes that remembered it) and the service
    account is deactivated; the client stays on record."""
    client = get_locked(ApiClient, client_id, field="client")
    if not client.active:
        raise Conflict(f"API client {client.name!r} was already revoked.", field="client")
    client.active, client.revoked_at, client.revoked_by = False, timezone.now(), revoked_by
    client.save(using="default", update_fields=["active", "revoked_at", "revoked_by"])
    client.user.is_active = False
    client.user.save(using="default", update_fields=["is_active"])
    return client
