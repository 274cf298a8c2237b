"""/fhir/R4/: the CapabilityStatement, read, search and Patient/$everything, over the declared resource types.

The API's rules hold here too: Api-Key or session sign-in, the roles' model permissions (per source of a
resource type), throttling, audit of every patient whose rows a request loads, reads from a caught-up
standby with read-your-writes. Errors are OperationOutcomes.
"""

import datetime as dt
import uuid
from email.utils import format_datetime
from urllib.parse import urlencode

from django.db import transaction
from django.http import FileResponse, QueryDict
from django.utils.dateparse import parse_datetime
from rest_framework import exceptions, negotiation, parsers, renderers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import idempotency
from core.audit import trail
from core.audit.models import AuditEvent
from core.errors import DomainError
from fhir_api import capability, commands, engine, export, outcome, queries, tasks, writes
from fhir_api.models import BulkExport
from fhir_api.resources import TYPES
from fhir_api.search import SearchError

MODIFIERS = {"token": {"", "not"}, "string": {"", "exact", "contains"}, "date": {""}, "quantity": {""}}
EVERYTHING = (
    ("Encounter", "patient"),
    ("Condition", "patient"),
    ("AllergyIntolerance", "patient"),
    ("Observation", "patient"),
    ("MedicationRequest", "patient"),
    ("MedicationDispense", "patient"),
)
EVERYTHING_LIMIT = 10_000  # resources of one type for one patient: far above any real record


def exception_handler(exc, context):
    """DRF's errors (sign-in, permission, throttling) and ours, as OperationOutcomes."""
    if isinstance(exc, SearchError):
        return outcome.response(400, outcome.issue("invalid", f"{exc.parameter}: {exc.message}"))
    if isinstance(exc, exceptions.ParseError):
        return outcome.response(400, outcome.issue("structure", f"The body is not JSON: {exc.detail}"))
    if isinstance(exc, engine.Forbidden):
        return outcome.response(403, outcome.issue("forbidden", f"Your role may not {exc.args[0]}."))
    if isinstance(exc, DomainError):
        return outcome.response(exc.status, outcome.issue("processing", "; ".join(_messages(exc.errors))))
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        code = {401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported", 429: "throttled"}
        return outcome.response(
            exc.status_code, outcome.issue(code.get(exc.status_code, "processing"), str(exc.detail)), headers=headers
        )
    return None


def _messages(errors: dict) -> list[str]:
    found = []
    for field, messages in errors.items():
        for message in messages if isinstance(messages, list) else [messages]:
            found.append(f"{field}: {message}" if field not in ("detail", "non_field_errors") else str(message))
    return found


class FhirRenderer(renderers.JSONRenderer):
    media_type = "application/fhir+json"
    charset = "utf-8"


class FhirParser(parsers.JSONParser):
    media_type = "application/fhir+json"


class FhirNegotiation(negotiation.DefaultContentNegotiation):
    """FHIR JSON whatever the Accept header says (_format=xml is refused before this is asked)."""

    def select_renderer(self, request, renderers_, format_suffix=None):
        return renderers_[0], renderers_[0].media_type


class FhirView(APIView):
    permission_classes = [IsAuthenticated]
    renderer_classes = [FhirRenderer]
    parser_classes = [FhirParser, parsers.JSONParser]
    content_negotiation_class = FhirNegotiation
    schema = None  # FHIR describes itself (/fhir/R4/metadata), not in the REST API's OpenAPI schema

    def get_exception_handler(self):
        return exception_handler

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Idempotency-Key as on the rest of the API: a retried create answers what the first one did.
        if request.method == "POST" and idempotency.HEADER in request.headers and hasattr(self, "post"):
            self.post = idempotency.idempotent(self.post)

    def base_url(self) -> str:
        return self.request.build_absolute_uri("/fhir/R4").rstrip("/")

    def check_format(self) -> None:
        wanted = self.request.GET.get("_format", "")
        if wanted and wanted not in ("json", "application/json", "application/fhir+json"):
            raise exceptions.NotAcceptable("This server speaks FHIR JSON only (_format=json).")


class MetadataView(FhirView):
    """GET /fhir/R4/metadata: what this server supports, exactly."""

    permission_classes = [AllowAny]
    authentication_classes = []

    def get(self, request):
        self.check_format()
        return outcome.fhir_response(capability.statement(self.base_url()))


class TypeView(FhirView):
    """GET /fhir/R4/<type>?...: search (a Bundle of type searchset, paged by `next` links)."""

    def get(self, request, resource_type):
        self.check_format()
        if resource_type not in TYPES:
            return _unsupported(resource_type)
        strict = "handling=strict" in request.headers.get("Prefer", "").replace(" ", "")
        criteria = _criteria(request, resource_type, strict)
        count = _count(request)
        page = engine.search(
            resource_type,
            criteria,
            request.user,
            count=count,
            cursor=request.GET.get("_cursor", ""),
            include=request.GET.getlist("_include"),
        )
        base = self.base_url()
        links = [{"relation": "self", "url": _page_url(base, resource_type, criteria, count, request, "")}]
        if page.next is not None:
            links.append(
                {"relation": "next", "url": _page_url(base, resource_type, criteria, count, request, str(page.next))}
            )
        entries = [_entry(base, m.resource, "match") for m in page.matches]
        entries += [_entry(base, r, "include") for r in page.included]
        return outcome.fhir_response({"resourceType": "Bundle", "type": "searchset", "link": links, "entry": entries})

    def post(self, request, resource_type):
        """create: Patient, Observation, AllergyIntolerance, Condition, through the commands. With
        If-None-Exist (a search), an existing match is answered (200) instead of a second create."""
        if resource_type not in writes.CREATE:
            return outcome.response(
                405, outcome.issue("not-supported", f"{resource_type} resources are not created through FHIR here.")
            )
        if not writes.may_create(resource_type, request.user):
            raise engine.Forbidden(f"create {resource_type} resources")
        resource = request.data
        if not isinstance(resource, dict) or resource.get("resourceType") != resource_type:
            return outcome.response(
                400,
                outcome.issue("invalid", f"The body must be a {resource_type} resource.", expression=["resourceType"]),
            )
        try:
            permission = writes.permission_for(resource_type, resource)
        except writes.Invalid as invalid:
            return _invalid(invalid)
        if not request.user.has_perm(permission):
            raise engine.Forbidden(f"create {resource_type} resources")
        condition = request.headers.get("If-None-Exist", "")
        if condition:
            existing = self._existing(resource_type, condition)
            if len(existing) > 1:  # FHIR: 412 Precondition Failed
                return outcome.response(
                    412, outcome.issue("duplicate", "If-None-Exist matches more than one resource: make it specific.")
                )
            if existing:
                return self._answer(existing[0], 200)
        try:
            created = writes.CREATE[resource_type][0](resource, request.user)
        except writes.Invalid as invalid:
            return _invalid(invalid)
        except DomainError as error:
            return _refused(resource_type, resource, error)
        return self._answer(engine.read(resource_type, created.ident, request.user), 201)

    def _existing(self, resource_type: str, condition: str) -> list[dict]:
        criteria = _criteria_from(QueryDict(condition.lstrip("?")), resource_type, strict=True)
        if not criteria:
            raise SearchError("If-None-Exist", "Give search parameters that identify the resource.")
        return [m.resource for m in engine.search(resource_type, criteria, self.request.user, count=2).matches]

    def _answer(self, resource: dict, status: int) -> Response:
        location = f"{self.base_url()}/{resource['resourceType']}/{resource['id']}"
        headers = {"Location": location, "ETag": f'W/"{resource["meta"]["versionId"]}"'}
        return Response(resource, status=status, headers=headers)


def _invalid(invalid: "writes.Invalid"):
    return outcome.response(
        400, *(outcome.issue("invalid", message, expression=[path]) for path, message in invalid.problems)
    )


def _refused(resource_type: str, resource: dict, error: DomainError):
    """A command's refusal, each message pointing at the element its field came from."""
    code = {409: "conflict", 404: "not-found"}.get(error.status, "invalid")
    issues = []
    for field_name, messages in error.errors.items():
        path = writes.path_of(resource_type, resource, field_name)
        for message in messages if isinstance(messages, list) else [str(messages)]:
            issues.append(outcome.issue(code, str(message), expression=[path]))
    return outcome.response(error.status, *issues)


class InstanceView(FhirView):
    """GET /fhir/R4/<type>/<id>: read, with ETag; If-None-Match answers 304 when nothing changed."""

    def get(self, request, resource_type, ident):
        self.check_format()
        if resource_type not in TYPES:
            return _unsupported(resource_type)
        resource = engine.read(resource_type, ident, request.user)
        if resource is None:
            return outcome.response(404, outcome.issue("not-found", f"There is no {resource_type}/{ident}."))
        etag = f'W/"{resource["meta"]["versionId"]}"'
        headers = {"ETag": etag, "Last-Modified": _http_date(resource["meta"]["lastUpdated"])}
        if etag in _etags(request.headers.get("If-None-Match", "")):
            found = outcome.fhir_response({}, status=304, headers=headers)
            found.content = b""
            return found
        return outcome.fhir_response(resource, headers=headers)


class EverythingView(FhirView):
    """GET /fhir/R4/Patient/<id>/$everything: the patient and every resource about them that the user's role
    may read (with the medications, practitioners and locations they point to), in one Bundle. `_since`
    keeps those changed since an instant; `_type` the listed types."""

    def get(self, request, ident):
        self.check_format()
        patient = engine.read("Patient", ident, request.user)
        if patient is None:
            return outcome.response(404, outcome.issue("not-found", f"There is no Patient/{ident}."))
        since = request.GET.get("_since", "")
        types = {t for value in request.GET.getlist("_type") for t in value.split(",") if t}
        unknown = types - set(TYPES)
        if unknown:
            raise SearchError("_type", f"Unknown resource type {sorted(unknown)[0]!r}.")
        base = self.base_url()
        entries = [_entry(base, patient, "match")] if not types or "Patient" in types else []
        references: dict[str, list[str]] = {}
        for type_name, parameter in EVERYTHING:
            if types and type_name not in types:
                continue
            criteria = [(parameter, [ident], "")] + ([("_lastUpdated", [f"ge{since}"], "")] if since else [])
            includes = [
                f"{type_name}:{name}"
                for name, target in TYPES[type_name].includes.items()
                if name not in ("patient", "subject") and (not types or target in types)
            ]
            try:
                page = engine.search(type_name, criteria, request.user, count=EVERYTHING_LIMIT, include=includes)
            except engine.Forbidden:
                continue
            entries += [_entry(base, m.resource, "match") for m in page.matches]
            for resource in page.included:
                references.setdefault(resource["resourceType"], [])
                if resource["id"] not in references[resource["resourceType"]]:
                    references[resource["resourceType"]].append(resource["id"])
                    entries.append(_entry(base, resource, "include"))
        self_url = request.build_absolute_uri()
        return outcome.fhir_response(
            {
                "resourceType": "Bundle",
                "type": "searchset",
                "total": sum(1 for e in entries if e["search"]["mode"] == "match"),
                "link": [{"relation": "self", "url": self_url}],
                "entry": entries,
            }
        )


def _unsupported(resource_type: str):
    return outcome.response(
        404, outcome.issue("not-supported", f"This server has no {resource_type!r} resources (see /fhir/R4/metadata).")
    )


def _criteria(request, resource_type: str, strict: bool) -> list[tuple[str, list[str], str]]:
    return _criteria_from(request.GET, resource_type, strict)


def _criteria_from(query: QueryDict, resource_type: str, strict: bool) -> list[tuple[str, list[str], str]]:
    """(parameter, values, modifier) per occurrence; parameters the type does not know are an error with
    `Prefer: handling=strict`, else ignored (FHIR's lenient default) and left out of the self link."""
    known = TYPES[resource_type].params
    criteria = []
    for key, values in query.lists():
        name, _, modifier = key.partition(":")
        if name in engine.CONTROL:
            continue
        if name not in known and name not in ("_id", "_lastUpdated"):
            if strict:
                raise SearchError(name, f"{resource_type} has no search parameter {name!r}.")
            continue
        kind = known[name].type if name in known else ("date" if name == "_lastUpdated" else "token")
        allowed = MODIFIERS.get(kind, {""})
        if kind == "reference":
            allowed = {"", _target(resource_type, name)}
        if modifier not in allowed:
            raise SearchError(key, f"The modifier :{modifier} is not supported on {name}.")
        for value in values:
            parts = [v for v in value.split(",") if v != ""]
            if not parts:
                raise SearchError(name, "Give a value.")
            criteria.append((name, parts, "" if kind == "reference" else modifier))
    return criteria


def _target(resource_type: str, parameter: str) -> str:
    return TYPES[resource_type].includes.get(parameter, "")


def _count(request) -> int:
    text = request.GET.get("_count", "")
    if not text:
        return engine.DEFAULT_COUNT
    if not text.isdigit() or int(text) < 1:
        raise SearchError("_count", "A whole number from 1.")
    return min(int(text), engine.MAX_COUNT)


def _page_url(base, resource_type, criteria, count, request, cursor: str) -> str:
    query = [(name if not modifier else f"{name}:{modifier}", ",".join(values)) for name, values, modifier in criteria]
    query += [("_include", value) for value in request.GET.getlist("_include")]
    query.append(("_count", str(count)))
    if cursor:
        query.append(("_cursor", cursor))
    return f"{base}/{resource_type}?{urlencode(query)}"


def _entry(base: str, resource: dict, mode: str) -> dict:
    return {
        "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
        "resource": resource,
        "search": {"mode": mode},
    }


def _etags(header: str) -> set[str]:
    found = set()
    for tag in header.split(","):
        tag = tag.strip()
        if tag:
            found.add(tag if tag.startswith("W/") else f"W/{tag}")
    return found


def _http_date(value: str) -> str:
    return format_datetime(dt.datetime.fromisoformat(value).astimezone(dt.UTC), usegmt=True)


# --- Bulk Data $export -------------------------------------------------------------------------------------

EXPORT_PERMISSION = "fhir_api.run_bulk_export"
NDJSON = "application/fhir+ndjson"


class ExportView(FhirView):
    """GET /fhir/R4/$export and /fhir/R4/Patient/$export (Prefer: respond-async): 202 with the status URL in
    Content-Location; a worker writes one NDJSON file per type. `_type`, `_since`; `_outputFormat` NDJSON."""

    level = BulkExport.Level.SYSTEM

    def get(self, request):
        if not request.user.has_perm(EXPORT_PERMISSION):
            raise engine.Forbidden("export every patient's record (FHIR Bulk Data)")
        if "respond-async" not in request.headers.get("Prefer", ""):
            raise SearchError("Prefer", "A bulk export runs in the background: send Prefer: respond-async.")
        output_format = request.GET.get("_outputFormat", NDJSON)
        if output_format not in (NDJSON, "application/ndjson", "ndjson"):
            raise SearchError("_outputFormat", f"Only {NDJSON} is written.")
        allowed = export.PATIENT_TYPES if self.level == BulkExport.Level.PATIENT else tuple(TYPES)
        asked = [t for value in request.GET.getlist("_type") for t in value.split(",") if t]
        unknown = [t for t in asked if t not in allowed]
        if unknown:
            raise SearchError("_type", f"Cannot export {unknown[0]!r} here; choose from {', '.join(allowed)}.")
        since = None
        if request.GET.get("_since"):
            since = parse_datetime(request.GET["_since"])
            if since is None or since.tzinfo is None:
                raise SearchError("_since", "An instant with its offset: 2026-12-01T00:00:00Z.")
        stamp = trail.event(AuditEvent.Action.EXPORT, "fhir.bulk-export")
        audit = {
            name: getattr(stamp, name) for name in ("user_id", "username", "api_client", "ip", "request_id", "path")
        }
        job = commands.export_request(
            level=self.level,
            types=[t for t in allowed if not asked or t in asked],
            since=since,
            requested_by=request.user,
            request_url=request.build_absolute_uri(),
            audit=audit,
        )
        transaction.on_commit(lambda: tasks.bulk_export.delay(job.pk), using="default")
        status_url = f"{self.base_url()}/$export-status/{job.key}"
        return outcome.response(
            202,
            outcome.issue("informational", "Export started.", severity="information"),
            headers={"Content-Location": status_url},
        )


class PatientExportView(ExportView):
    level = BulkExport.Level.PATIENT


def _export_of(request, export_id) -> BulkExport:
    """The requester's own export (anyone else's is not found: its files hold every patient)."""
    try:
        found = queries.bulk_export(key=uuid.UUID(str(export_id)), user_id=request.user.pk)
    except ValueError:
        found = None
    if found is None:
        raise exceptions.NotFound(f"There is no export {export_id} of yours.")
    return found


class ExportStatusView(FhirView):
    """GET: 202 with X-Progress while it runs, 200 with the manifest when done; DELETE cancels."""

    def get(self, request, export_id):
        job = _export_of(request, export_id)
        if job.active:
            where = ", ".join(filter(None, (job.get_status_display().lower(), job.current_type)))
            progress = f"{job.percent}% ({where})"
            found = outcome.fhir_response({}, status=202, headers={"X-Progress": progress, "Retry-After": "2"})
            found.content = b""
            return found
        if job.status == BulkExport.Status.FAILED:
            return outcome.response(500, outcome.issue("exception", f"The export failed: {job.error}"))
        if job.status != BulkExport.Status.DONE:
            return outcome.response(
                404, outcome.issue("not-found", f"This export was {job.get_status_display().lower()}.")
            )
        base = self.base_url()
        manifest = {
            "transactionTime": job.requested_at.isoformat(),
            "request": job.request_url,
            "requiresAccessToken": True,
            "output": [
                {"type": o["type"], "url": f"{base}/$export-file/{job.key}/{o['file']}", "count": o["count"]}
                for o in job.output
            ],
            "error": [],
        }
        response = outcome.fhir_response(manifest, headers={"Expires": _http_date(job.expires_at.isoformat())})
        response["Content-Type"] = "application/json"
        return response

    def delete(self, request, export_id):
        job = _export_of(request, export_id)
        commands.export_cancel(export_id=job.pk)
        return outcome.response(
            202, outcome.issue("informational", "Export cancelled; its files are deleted.", severity="information")
        )


class ExportFileView(FhirView):
    """GET one NDJSON file of a finished export (its requester only)."""

    def get(self, request, export_id, file_name):
        job = _export_of(request, export_id)
        files = {o["file"] for o in job.output}
        if job.status != BulkExport.Status.DONE or file_name not in files:
            raise exceptions.NotFound(f"No file {file_name} in this export.")
        path = commands.export_dir(job.key) / file_name
        return FileResponse(path.open("rb"), content_type=NDJSON)
