"""Domain errors raised by commands; the API exception handler and the page helper map them to HTTP."""

from django.core.exceptions import ValidationError as DjangoValidationError


class DomainError(Exception):
    status = 400
    default_field = "non_field_errors"

    def __init__(self, message: str | None = None, *, field: str | None = None, errors=None, extra=None):
        # {field: [messages]}, or for items of a list field {field: {position: {field: [messages]}}}.
        self.errors: dict = {k: v if isinstance(v, dict) else list(v) for k, v in (errors or {}).items()}
        # Structured detail the API answers beside "errors" (e.g. the safety checks that stopped an order).
        self.extra: dict = dict(extra or {})
        if message:
            self.errors.setdefault(field or self.default_field, []).append(message)
        super().__init__(message or "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in self.errors.items()))

    @classmethod
    def from_django(cls, exc: DjangoValidationError) -> "DomainError":
        if hasattr(exc, "error_dict"):
            return cls(errors={("non_field_errors" if k == "__all__" else k): v for k, v in exc.message_dict.items()})
        return cls(errors={cls.default_field: exc.messages})


class InvalidInput(DomainError):
    """400: the input breaks a rule (per-field messages)."""


class NotFound(DomainError):
    status = 404
    default_field = "detail"


class Conflict(DomainError):
    """409: the action clashes with the current state (closing a closed encounter, paying a void invoice)."""

    status = 409
    default_field = "detail"
