"""The audit trail: who read or changed which patient's data, when, from where (append-only).

- `registry`: apps register the models to audit and the way from a row to its patient.
- `models`: the AuditEvent table (a database trigger refuses UPDATE and DELETE on it).
- `trail`: the per-request context (actor, IP, request id) and the calls views make to record reads.
- `writes`: post_save / post_delete receivers that record every write in the writing transaction.
- `middleware`: request id, context, and one insert of the request's read events at its end.
- `spool`: where read events wait (Redis) when the primary cannot take them, and the task that drains it.
"""

from core.audit.registry import register, register_app, register_patient_lookup

__all__ = ["register", "register_app", "register_patient_lookup"]
