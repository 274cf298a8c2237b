"""Helpers for server-rendered pages: run a command from a form, put its domain errors on the form."""

from django.contrib import messages
from django.shortcuts import redirect

from core.errors import DomainError


def apply_errors(form, exc: DomainError) -> None:
    """Show a command's errors next to the fields they name (the rest above the form)."""
    for field, problems in exc.errors.items():
        if isinstance(problems, dict):  # per-item errors (invoice lines): shown above the form
            for position, item in problems.items():
                for name, texts in item.items():
                    form.add_error(None, f"Line {int(position) + 1}, {name.replace('_', ' ')}: {' '.join(texts)}")
            continue
        target = field if field in form.fields else None
        for problem in problems:
            form.add_error(target, problem)


def run(request, form, command, *, success: str, redirect_to, **kwargs):
    """Validate `form`, call `command(**form.cleaned_data | kwargs)`; on success flash and redirect (PRG).

    Returns the redirect, or None when the form (now carrying the errors) must be shown again.
    """
    if not form.is_valid():
        return None
    try:
        result = command(**{**form.cleaned_data, **kwargs})
    except DomainError as exc:
        apply_errors(form, exc)
        return None
    messages.success(request, success)
    return redirect(redirect_to(result) if callable(redirect_to) else redirect_to)
