"""Roles are Django groups with model permissions, kept in step with this table after every migrate."""

from django.apps import apps as global_apps
from django.db.models.signals import post_migrate

ALL = ("view", "add", "change", "delete")

# role -> {app label or "app.model": actions}. Actions are Django's view/add/change/delete.
ROLES: dict[str, dict[str, tuple[str, ...]]] = {
    # Clinicians prescribe; pharmacists dispense and keep the stock.
    "clinician": {
        "clinical": ("view", "add", "change"),
        "pharmacy.prescription": ("view", "add", "change"),
        "pharmacy.drug": ("view",),
        "pharmacy.dispense": ("view",),
    },
    "billing_clerk": {
        "billing": ("view", "add", "change"),
        "clinical.patient": ("view",),
        "clinical.encounter": ("view",),
    },
    "pharmacist": {
        "pharmacy": ("view", "add", "change"),
        "clinical.patient": ("view",),
        "clinical.encounter": ("view",),
        "clinical.allergy": ("view",),
    },
    # Nurses chart vitals and allergies and see what was prescribed and given; no billing, no diagnosing.
    "nurse": {
        "clinical.patient": ("view",),
        "clinical.encounter": ("view",),
        "clinical.department": ("view",),
        "clinical.diagnosis": ("view",),
        "clinical.allergy": ("view", "add"),
        "clinical.vitals": ("view", "add"),
        "clinical.labresult": ("view",),
        "pharmacy.prescription": ("view",),
        "pharmacy.dispense": ("view",),
        "pharmacy.drug": ("view",),
    },
    # The front desk registers patients and opens their visits, and can see what a patient owes;
    # it sees no clinical content (diagnoses, allergies, vitals, medications).
    "front_desk": {
        "clinical.patient": ("view", "add", "change"),
        "clinical.encounter": ("view", "add"),
        "clinical.department": ("view",),
        "billing.invoice": ("view",),
        "billing.payer": ("view",),
    },
    "report_viewer": {"reports": ("view",)},
    "admin": {"clinical": ALL, "billing": ALL, "pharmacy": ALL, "reports": ALL, "hmis.auditevent": ("view",)},
}


# Single permissions beyond the table above ("app_label.codename").
EXTRA: dict[str, tuple[str, ...]] = {
    "billing_clerk": ("reports.view_financial_reports",),
    "clinician": ("reports.view_clinical_reports",),
    "pharmacist": ("reports.view_clinical_reports",),
}


def sync_roles(using: str = "default") -> None:
    from django.contrib.auth.models import Group, Permission

    for role, grants in ROLES.items():
        wanted = set()
        for target, actions in grants.items():
            app_label, _, model = target.partition(".")
            perms = Permission.objects.using(using).filter(content_type__app_label=app_label)
            if model:
                perms = perms.filter(content_type__model=model)
            wanted |= {p.pk for p in perms if p.codename.split("_", 1)[0] in actions}
        for perm in EXTRA.get(role, ()):
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


def connect() -> None:
    post_migrate.connect(_after_migrate, dispatch_uid="hmis.roles.sync")
