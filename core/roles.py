"""Roles are Django groups with model permissions, kept in step with a table the project registers
(hmis/roles.py) after every migrate."""

from django.apps import apps as global_apps
from django.db.models.signals import post_migrate

_table: dict[str, dict] = {"roles": {}, "extra": {}}


def register(roles: dict[str, dict[str, tuple[str, ...]]], extra: dict[str, tuple[str, ...]]) -> None:
    """roles: role -> {app label or "app.model": actions}; extra: role -> ("app_label.codename", ...)."""
    _table["roles"], _table["extra"] = roles, extra
    post_migrate.connect(_after_migrate, dispatch_uid="hmis.roles.sync")


def names() -> list[str]:
    return list(_table["roles"])


def sync_roles(using: str = "default") -> None:
    from django.contrib.auth.models import Group, Permission

    for role, grants in _table["roles"].items():
        wanted = set()
        for target, actions in grants.items():
            app_label, _, model = target.partition(".")
            perms = Permission.objects.using(using).filter(content_type__app_label=app_label)
            if model:
                perms = perms.filter(content_type__model=model)
            wanted |= {p.pk for p in perms if p.codename.split("_", 1)[0] in actions}
        for perm in _table["extra"].get(role, ()):
            app_label, codename = perm.split(".")
            wanted |= set(
                Permission.objects.using(using)
                .filter(content_type__app_label=app_label, codename=codename)
                .values_list("pk", flat=True)
            )
        group, _ = Group.objects.using(using).get_or_create(name=role)
        group.permissions.set(wanted)


def _after_migrate(sender, using="default", **kwargs):
    # post_migrate fires once per app with models; permissions exist for all apps only after the last one.
    with_models = [config for config in global_apps.get_app_configs() if config.models_module is not None]
    if sender is with_models[-1]:
        sync_roles(using=using)
