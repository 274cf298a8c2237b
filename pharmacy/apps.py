from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PharmacyConfig(AppConfig):
    name = "pharmacy"

    def ready(self):
        from core import audit
        from pharmacy.models import AllergenMatch, ClassMember, InteractionPair, RenalRule
        from pharmacy.safety import tables

        # The safety engine's reference tables are derived data, rewritten after every migrate: not audited.
        reference = tuple(m.__name__ for m in (AllergenMatch, ClassMember, InteractionPair, RenalRule))
        audit.register_app(
            self, patient=("encounter.patient_id", "prescription.encounter.patient_id"), exclude=reference
        )
        post_migrate.connect(tables.after_migrate, sender=self, dispatch_uid="hmis.pharmacy.safety_tables")
