"""`Idempotency-Key` on POSTs: a retry with the same key and body gets the original response, no second write.

The key row is inserted first, in the same transaction as the command's write, and the response is saved
on it before the commit: a crash leaves both or neither. A concurrent retry's INSERT waits on the unique
index until the first transaction ends; then it finds the committed row and replays it (or, if the first
failed and rolled back, runs itself). It waits at most IDEMPOTENCY_WAIT_SECONDS, then answers 409.
Failed requests (4xx/5xx) keep no key: nothing was written, so a retry runs again.
"""

import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import OperationalError, connections, transaction
from django.db.utils import DatabaseError
from django.utils import timezone
from rest_framework.response import Response

from core import metrics
from core.errors import Conflict, DomainError, InvalidInput
from core.models import IdempotencyKey
from core.routing import state

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255

CLAIM_SQL = """
INSERT INTO hmis_idempotencykey (scope, key, request_hash, response_body, created_at)
VALUES (%s, %s, %s, '', now())
ON CONFLICT (scope, key) DO NOTHING
RETURNING id
"""


class KeyReused(DomainError):
    """422: the key was already used for a different request."""

    status = 422
    default_field = HEADER


def fingerprint(request) -> str:
    data = request.data
    body = dict(data.lists()) if hasattr(data, "lists") else data
    text = json.dumps({"path": request.path, "body": body}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _key(request) -> str:
    key = request.headers.get(HEADER, "")
    if not key.strip() or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(f"Send 1 to {MAX_KEY_LENGTH} printable characters.", field=HEADER)
    return key


def _claim(scope: str, key: str, digest: str) -> int | None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = %s", [f"{int(settings.IDEMPOTENCY_WAIT_SECONDS * 1000)}ms"])
        try:
            cursor.execute(CLAIM_SQL, [scope, key, digest])
            row = cursor.fetchone()
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", None) == "55P03":  # lock_not_available
                raise Conflict("A request with this Idempotency-Key is still in progress; retry shortly.") from exc
            raise
        cursor.execute("SET LOCAL lock_timeout = 0")
    return row[0] if row else None


def _replay(existing: IdempotencyKey, digest: str) -> Response:
    if existing.request_hash != digest:
        raise KeyReused("This Idempotency-Key was used with a different request.")
    # The client may never have seen the first response: let its next reads see that write.
    state.current().wrote = True
    metrics.IDEMPOTENT_REPLAYS.inc()
    body = json.loads(existing.response_body) if existing.response_body else None
    return Response(body, status=existing.response_status, headers={REPLAYED_HEADER: "true"})


def idempotent(handler):
    """Wrap a view's POST handler (see CommandViewSet.initial)."""

    def run(request, *args, **kwargs):
        key, digest = _key(request), fingerprint(request)
        scope = f"user:{request.user.pk}"
        with transaction.atomic(using="default"):
            claimed = _claim(scope, key, digest)
            if claimed is None:
                return _replay(IdempotencyKey.objects.using("default").get(scope=scope, key=key), digest)
            response = handler(request, *args, **kwargs)
            if response.status_code >= 400:
                transaction.set_rollback(True, using="default")
                return response
            IdempotencyKey.objects.using("default").filter(pk=claimed).update(
                response_status=response.status_code, response_body=json.dumps(response.data, cls=DjangoJSONEncoder)
            )
        return response

    return run


def purge() -> int:
    """Forget keys older than IDEMPOTENCY_KEEP_HOURS (beat runs this hourly)."""
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEEP_HOURS)
    try:
        deleted, _ = IdempotencyKey.objects.using("default").filter(created_at__lt=cutoff).delete()
    except DatabaseError:
        return 0
    return deleted
