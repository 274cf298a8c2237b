"""Shared shape of our API views: validate input with one serializer, call a command, answer with another."""

from rest_framework import status, viewsets
from rest_framework.response import Response

from core.api import idempotency
from core.audit import trail
from core.audit.models import AuditEvent


class AuditedReads:
    """Records who was shown which rows: each object of a list page, and each object retrieved."""

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        trail.read(AuditEvent.Action.LIST, page if page is not None else queryset)
        return page

    def get_object(self):
        instance = super().get_object()
        trail.read_one(instance)
        return instance


class CommandViewSet(viewsets.GenericViewSet):
    """`serializer_class` describes output; `input_serializer` describes what POST takes.

    A POST with an `Idempotency-Key` header runs at most once per key (see core.api.idempotency).
    """

    input_serializer = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, permissions, throttles
        # Only where a POST handler exists: elsewhere DRF answers 405 as for any POST.
        if request.method == "POST" and idempotency.HEADER in request.headers and hasattr(self, "post"):
            # DRF's dispatch looks the handler up after initial(): this wraps the one about to run.
            self.post = idempotency.idempotent(self.post)

    def validated(self, serializer_class=None, *, partial: bool = False) -> dict:
        serializer = (serializer_class or self.input_serializer)(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def respond(self, instance, *, code: int = status.HTTP_200_OK, serializer_class=None) -> Response:
        serializer = (serializer_class or self.get_serializer_class())(instance, context=self.get_serializer_context())
        return Response(serializer.data, status=code)

    def created(self, instance, **kwargs) -> Response:
        return self.respond(instance, code=status.HTTP_201_CREATED, **kwargs)
