"""Shared shape of our API views: validate input with one serializer, call a command, answer with another."""

from rest_framework import status, viewsets
from rest_framework.response import Response


class CommandViewSet(viewsets.GenericViewSet):
    """`serializer_class` describes output; `input_serializer` describes what POST takes."""

    input_serializer = None

    def validated(self, serializer_class=None, *, partial: bool = False) -> dict:
        serializer = (serializer_class or self.input_serializer)(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def respond(self, instance, *, code: int = status.HTTP_200_OK, serializer_class=None) -> Response:
        serializer = (serializer_class or self.get_serializer_class())(instance, context=self.get_serializer_context())
        return Response(serializer.data, status=code)

    def created(self, instance, **kwargs) -> Response:
        return self.respond(instance, code=status.HTTP_201_CREATED, **kwargs)
