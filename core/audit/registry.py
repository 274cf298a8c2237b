"""Which models the audit trail follows, and how a row leads to its patient.

Apps register their models in `AppConfig.ready()` (core names no app): every write to a registered model
appends an audit event in the writing transaction (`writes`), and reads of its rows name their patient.
"""

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.db import models

_patient_paths: dict[type[models.Model], tuple[tuple[str, ...], ...]] = {}
_paths_on: dict[type[models.Model], tuple[str, ...]] = {}  # the one of its paths a model has
_patient_lookup: dict[str, object] = {}


def register(*targets: type[models.Model] | str, patient: tuple[str, ...] = ()) -> None:
    """Audit every write to these models, and (when they hold a patient's data) every request that loads
    their rows. `patient`: attribute paths from a row to its patient's id ("patient_id",
    "encounter.patient_id"), tried in order; "pk" for the patient model itself."""
    from core.audit import writes

    for target in targets:
        model = apps.get_model(target) if isinstance(target, str) else target
        paths = tuple(tuple(path.split(".")) for path in patient)
        _patient_paths[model] = paths
        writes.follow(model)
        found = _path_on(model, paths)
        if found:  # a patient's data: requests that load its rows are audited
            _paths_on[model] = found
            _note_loaded_rows(model)


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


def patient_lookup(model) -> str:
    """The ORM lookup from a row of `model` to its patient's id ("encounter__patient_id")."""
    return "__".join(_paths_on[model])


def _path_on(model, paths) -> tuple[str, ...] | None:
    """The first of `paths` that exists on this model (None: its rows are nobody's data, e.g. a drug)."""
    for path in paths:
        current = model
        for name in path:
            field = None if name == "pk" else current._meta._forward_fields_map.get(name)
            if name != "pk" and field is None:
                break
            current = field.related_model if field is not None and field.is_relation else None
        else:
            return path
    return None


def known_patient(instance):
    """The patient id read off the row's loaded state (never a query), or loaded.UNKNOWN."""
    from core.audit.loaded import UNKNOWN

    value = instance
    for name in _paths_on[instance._meta.concrete_model]:
        field = None if name == "pk" else value._meta._forward_fields_map[name]
        if field is not None and field.is_relation and name == field.name and not field.is_cached(value):
            return UNKNOWN  # reading it would be a query: looked up at the request's end instead
        value = getattr(value, name)
        if value is None:
            return None
    return value


def _note_loaded_rows(model) -> None:
    from core.audit import loaded, trail

    inherited = model.from_db

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = inherited.__func__(cls, db, field_names, values)
        context = trail.current()
        if context is not None:
            loaded.note(context, instance, known_patient(instance))
        return instance

    model.from_db = from_db


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
