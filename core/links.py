"""Where a patient's record lives. Pages in every app link to it; the app that draws the record (the
chart) registers its URL name at start-up, so the apps below it need not name it."""

from django.urls import reverse

_patient_record: list[str] = []


def register_patient_record(url_name: str) -> None:
    _patient_record[:] = [url_name]


def patient_record(patient_id: int) -> str:
    return reverse(_patient_record[0], args=[patient_id])
