"""Inpatient commands: one function per business action, one transaction on the primary.

Lock order, everywhere: encounter → admission request → admission → beds (by id). A bed's status follows
its assignments and is changed only here, with the bed row locked; the exclusion constraints on
assignments (inpatient/models.py) are the last word when two commands race for one bed or one patient.

Beds that become free are offered to the queue at once: the first waiting request (urgent first, then the
longest waiting) that wants that ward, or any ward, gets it reserved; a request made while a bed it wants
is free gets that bed reserved at once.
"""

from inpatient.commands.bed_days import CATCH_UP_NIGHTS, bed_day_charge, bed_days_charge
from inpatient.commands.stays import (
    admission_admit,
    admission_cancel,
    admission_discharge,
    admission_order_discharge,
    admission_request_cancel,
    admission_request_create,
    admission_transfer,
)
from inpatient.commands.wards import HOUSEKEEPING, bed_create, bed_set_status, bed_update, ward_create, ward_update

__all__ = [
    "CATCH_UP_NIGHTS",
    "HOUSEKEEPING",
    "admission_admit",
    "admission_cancel",
    "admission_discharge",
    "admission_order_discharge",
    "admission_request_cancel",
    "admission_request_create",
    "admission_transfer",
    "bed_create",
    "bed_day_charge",
    "bed_days_charge",
    "bed_set_status",
    "bed_update",
    "ward_create",
    "ward_update",
]
