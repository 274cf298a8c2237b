"""Per request: a request id (kept from X-Request-ID when sane), the audit context, and at the end one
insert of the read events: those the views recorded, and those for patients' rows loaded besides."""

from core.audit import loaded, spool, trail


class AuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        context = trail.begin(request)
        try:
            response = self.get_response(request)
        finally:
            context.pending += loaded.events(context)
            trail.end(context)
            spool.write(context.pending)
        response[trail.REQUEST_ID_HEADER] = context.request_id
        return response
