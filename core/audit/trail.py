"""Who is acting, and the read events of the current request (written once, at the request's end).

Reads are buffered and inserted by the middleware with an explicit `using("default")`: the router is not
asked, so recording a read never marks the request as a writer (its later reads stay on the standbys and
no read-your-writes cookie is set for a row the user never reads). Writes are recorded by `writes`, inside
the writing transaction.
"""

import re
import uuid
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

from core.audit.models import AuditEvent
from core.audit.registry import patient_of

REQUEST_ID_HEADER = "X-Request-ID"
_GOOD_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass
class Context:
    request: object = None
    request_id: str = ""
    ip: str | None = None
    pending: list[AuditEvent] = field(default_factory=list)
    loaded: list = field(default_factory=list)  # (row, patient id) of patients' rows loaded (audit.loaded)
    written: set = field(default_factory=set)  # patients whose data the request changed (write events)


_current: ContextVar[Context | None] = ContextVar("hmis_audit_context", default=None)


def request_id_for(request) -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if _GOOD_REQUEST_ID.match(given) else uuid.uuid4().hex


def begin(request) -> Context:
    context = Context(request=request, request_id=request_id_for(request), ip=request.META.get("REMOTE_ADDR") or None)
    request.request_id = context.request_id
    context.token = _current.set(context)
    return context


def end(context: Context) -> None:
    _current.reset(context.token)


def current() -> Context | None:
    return _current.get()


def _actor(context: Context | None) -> dict:
    request = context.request if context else None
    user = getattr(request, "user", None) if request is not None else None
    if user is None or not user.is_authenticated:
        return {}
    from core.models import ApiClient

    client = getattr(request, "auth", None)
    name = client.name if isinstance(client, ApiClient) else ""
    return {"user_id": user.pk, "username": user.get_username(), "api_client": name}


def event(action: str, model: str, *, object_id="", patient_id=None, detail: str = "") -> AuditEvent:
    """An unsaved event stamped with the current actor, IP, request id and path."""
    context = current()
    request = context.request if context else None
    return AuditEvent(
        action=action,
        model=model,
        object_id=str(object_id or "")[:40],
        patient_id=patient_id,
        detail=detail[:300],
        ip=context.ip if context else None,
        request_id=context.request_id if context else "",
        path=(request.path if request is not None else "")[:300],
        **_actor(context),
    )


def label(instance) -> str:
    return instance._meta.label_lower


def read(action: str, instances, *, model: str | None = None) -> None:
    """Record that these rows were shown (one event each). Outside a request they are written at once."""
    events = [event(action, model or label(i), object_id=i.pk, patient_id=patient_of(i)) for i in instances]
    add(events)


def read_rows(model: str, rows) -> None:
    """Record the patients named in plain result rows (a report grouped by patient or invoice): one each."""
    patients = dict.fromkeys(row["patient_id"] for row in rows if row.get("patient_id") is not None)
    add([event(AuditEvent.Action.LIST, model, patient_id=patient_id) for patient_id in patients])


def read_patient(model: str, patient_id: int) -> None:
    """Record that something derived from one patient's record (not a row of it) was shown."""
    add([event(AuditEvent.Action.VIEW, model, object_id=patient_id, patient_id=patient_id)])


def read_one(instance) -> None:
    read(AuditEvent.Action.VIEW, [instance])


def add(events: list[AuditEvent]) -> None:
    context = current()
    if context is not None:
        context.pending.extend(events)
    elif events:
        AuditEvent.objects.using("default").bulk_create(events)


EXPORT_FLUSH = 1000  # patients per insert while an export streams


def exported_rows(model: str, rows: Iterable[dict], *, detail: str = "") -> Iterator[dict]:
    """Yield an export's rows and record one EXPORT event per patient they name, as they are sent.

    Exports stream after the view has returned (the request's context is gone by then), so the actor, address
    and request id are taken now, when this is called; the events are inserted every EXPORT_FLUSH patients
    and when the stream ends or is abandoned: the trail holds every patient whose rows left, even from an
    interrupted download."""
    stamp = event(AuditEvent.Action.EXPORT, model, detail=detail)
    fields = {f.attname: getattr(stamp, f.attname) for f in AuditEvent._meta.concrete_fields if not f.primary_key}
    return _recording(rows, fields)


def _recording(rows: Iterable[dict], fields: dict) -> Iterator[dict]:
    seen: set[int] = set()
    pending: list[int] = []

    def flush():
        events = [AuditEvent(**{**fields, "patient_id": p, "object_id": str(p)}) for p in pending]
        AuditEvent.objects.using("default").bulk_create(events)
        pending.clear()

    try:
        for row in rows:
            patient_id = row.get("patient_id")
            if patient_id is not None and patient_id not in seen:
                seen.add(patient_id)
                pending.append(patient_id)
                if len(pending) >= EXPORT_FLUSH:
                    flush()
            yield row
    finally:
        if pending:
            flush()
