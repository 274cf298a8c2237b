"""Small helpers every app's commands use: load-and-lock, validate, save with friendly constraint errors."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

from core.errors import InvalidInput, NotFound


def get_locked(model: type[models.Model], pk, *, label: str | None = None, field: str = "detail"):
    """The row with this primary key, locked FOR UPDATE on the primary, or NotFound."""
    try:
        return model.objects.select_for_update().get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"{label or model._meta.verbose_name.capitalize()} {pk} does not exist.", field=field) from None


def lock_or_invalid(model: type[models.Model], pk, *, field: str, label: str | None = None):
    """A referenced row locked FOR UPDATE, or a 400 on the field that named it (the input was wrong, the
    endpoint exists: unlike get_locked's 404 for the row an URL names)."""
    try:
        return model.objects.select_for_update().get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise InvalidInput(
            f"{label or model._meta.verbose_name.capitalize()} {pk} does not exist.", field=field
        ) from None


def get_or_invalid(model: type[models.Model], pk, *, field: str, label: str | None = None):
    """A referenced row (read on the primary, inside the command's transaction), or a 400 on that field."""
    try:
        return model.objects.get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise InvalidInput(
            f"{label or model._meta.verbose_name.capitalize()} {pk} does not exist.", field=field
        ) from None


def validate(instance: models.Model, *, exclude: list[str] | None = None, constraints: bool = True) -> None:
    """full_clean as a 400. `constraints=False` skips the model's constraints (a query each, in a savepoint)
    when the command has checked them itself: the database still enforces them."""
    try:
        instance.full_clean(exclude=exclude, validate_constraints=constraints)
    except ValidationError as exc:
        raise InvalidInput.from_django(exc) from exc


def save_new(instance: models.Model, *, on_conflict: str, field: str = "non_field_errors") -> models.Model:
    """Insert in a savepoint; a unique/check violation that slipped past validation becomes a 400."""
    try:
        with transaction.atomic(using="default"):
            instance.save(using="default")
    except IntegrityError as exc:
        raise InvalidInput(on_conflict, field=field) from exc
    return instance


def save_changes(
    instance: models.Model, changes: dict, *, allowed: tuple[str, ...], on_conflict: str = "", field: str = ""
) -> models.Model:
    """Set the given fields (only those in `allowed`), validate the row and save just those fields."""
    unknown = set(changes) - set(allowed)
    if unknown:
        raise InvalidInput(errors={name: ["This field cannot be changed."] for name in sorted(unknown)})
    for name, value in changes.items():
        setattr(instance, name, value)
    validate(instance)
    if changes:
        # auto_now fields (updated_at) are saved only when named in update_fields
        stamped = [f.name for f in instance._meta.concrete_fields if getattr(f, "auto_now", False)]
        try:
            with transaction.atomic(using="default"):
                instance.save(using="default", update_fields=[*changes, *stamped])
        except IntegrityError as exc:
            message = on_conflict or "This change conflicts with another record."
            raise InvalidInput(message, field=field or None) from exc
    return instance


def known_related(instance: models.Model, **related: list) -> None:
    """Tell `instance` its related rows (manager name = the rows) as the command knows them, so that what
    shows it afterwards (an API answer) reads them without a query, as prefetch_related would have left
    them."""
    cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    for name, rows in related.items():
        queryset = getattr(instance, name).get_queryset()
        queryset._result_cache = list(rows)
        queryset._prefetch_done = True
        cache[name] = queryset
