"""Report filters that name a payer, patient or department: chosen by name, sent as an id.

Each kind declares how to search it by what a person types, the name an id shows as, and who may look it
up. reports.filters.NameLookupField uses them (the box, the id it submits, a typed name resolved when
nothing was picked); `/reports/lookup/<kind>/?q=` (reports.views.lookup) answers the box's suggestions.
The API still takes the id: its parameters are typed from the same fields.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.db.models import Q
from django.utils.translation import gettext as _

SHOWN = 10  # suggestions per answer


@dataclass(frozen=True)
class Lookup:
    kind: str
    noun: str  # "payer": for messages
    search: Callable[[str], list[dict]]  # what was typed -> [{id, label, detail}], best first
    name_of: Callable[[int], str | None]
    permission: str | None = None  # needed besides a report permission (patients' names)

    def resolve(self, text: str) -> int:
        """The id of the one thing this name stands for; a form error when none or several do."""
        found = self.search(text)
        exact = [f for f in found if f["label"].casefold() == text.strip().casefold()]
        if len(exact) == 1 or len(found) == 1:
            return (exact or found)[0]["id"]
        if not found:
            raise forms.ValidationError(_("No %(noun)s matches “%(text)s”.") % {"noun": self.noun, "text": text})
        raise forms.ValidationError(
            _("Several %(noun)ss match “%(text)s”: pick one from the suggestions.") % {"noun": self.noun, "text": text}
        )


def _payers(text: str) -> list[dict]:
    from billing.queries import payers

    found = payers().filter(name__icontains=text.strip())[:SHOWN]
    return [{"id": p.pk, "label": p.name, "detail": p.get_kind_display()} for p in found]


def _payer_name(pk: int) -> str | None:
    from billing.queries import payers

    return payers().filter(pk=pk).values_list("name", flat=True).first()


def _departments(text: str) -> list[dict]:
    from clinical.queries import departments

    text = text.strip()
    found = departments().filter(Q(name__icontains=text) | Q(code__iexact=text)).order_by("name")[:SHOWN]
    return [{"id": d.pk, "label": d.name, "detail": d.code} for d in found]


def _department_name(pk: int) -> str | None:
    from clinical.queries import departments

    return departments().filter(pk=pk).values_list("name", flat=True).first()


def _patients(text: str) -> list[dict]:
    from clinical.queries import patient_search

    found = patient_search(q=text.replace(",", " ")).order_by("family_name", "given_name", "pk")[:SHOWN]
    return [
        {"id": p.pk, "label": f"{p.family_name}, {p.given_name}", "detail": f"{p.mrn} · {p.date_of_birth}"}
        for p in found
    ]


def _patient_name(pk: int) -> str | None:
    from clinical.models import Patient

    found = Patient.objects.filter(pk=pk).values_list("family_name", "given_name").first()
    return f"{found[0]}, {found[1]}" if found else None


LOOKUPS: dict[str, Lookup] = {
    lookup.kind: lookup
    for lookup in (
        Lookup("payer", "payer", _payers, _payer_name),
        Lookup("department", "department", _departments, _department_name),
        # reports.catalog.base.PATIENT_NAMES (not imported: the catalog's modules import this one)
        Lookup("patient", "patient", _patients, _patient_name, permission="clinical.view_patient"),
    )
}
