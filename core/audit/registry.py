"""Which models the audit trail follows, and how a row leads to its patient.

Apps register their models in `AppConfig.ready()` (core names no app): every write to a registered model
appends an audit event in the writing transaction (`writes`), and reads of its rows name their patient.
"""

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.db import models

_patient_paths: dict[type[models.Model], tuple[tuple[str, ...], ...]] = {}
_patient_lookup: dict[str, object] = {}


def register(*targets: type[models.Model] | str, patient: tuple[str, ...] = ()) -> None:
    """Audit every write to these models. `patient`: attribute paths from a row to its patient's id
    ("patient_id", "encounter.patient_id"), tried in order; "pk" for the patient model itself."""
    from core.audit import writes

    for target in targets:
        model = apps.get_model(target) if isinstance(target, str) else target
        _patient_paths[model] = tuple(tuple(path.split(".")) for path in patient)
        writes.follow(model)


def register_app(config, *, patient: tuple[str, ...] = (), exclude: tuple[str, ...] = ()) -> None:
    """Every model of an app but those named in `exclude` (reference data, counters)."""
    register(*(m for m in config.get_models() if m.__name__ not in exclude), patient=patient)


def register_patient_lookup(lookup) -> None:
    """`lookup(text) -> list of patient ids`: how the audit admin finds a patient typed as, e.g., an MRN."""
    _patient_lookup["find"] = lookup


def find_patients(text: str) -> list[int]:
    lookup = _patient_lookup.get("find")
    return list(lookup(text)) if lookup else []


def is_audited(instance_or_model) -> bool:
    return instance_or_model._meta.concrete_model in _patient_paths


def patient_of(instance) -> int | None:
    """The id of the patient this row belongs to, or None (not a patient's row, or not registered)."""
    for path in _patient_paths.get(instance._meta.concrete_model, ()):
        value = instance
        try:
            for name in path:
                value = getattr(value, name)
        except (AttributeError, ObjectDoesNotExist):
            continue
        if value is not None:
            return value
    return None
