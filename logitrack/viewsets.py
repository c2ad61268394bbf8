"""A ModelViewSet whose writes go through the service layer."""

from collections.abc import Callable
from typing import Any

from rest_framework import status, viewsets
from rest_framework.response import Response


class ServiceModelViewSet(viewsets.ModelViewSet):
    """Validates input with ``input_serializer_class``, calls a service, answers with
    ``serializer_class``. Subclasses name their services and the keyword under which
    the services take the instance (``vehicle=``, ``delivery=``, ``user=``)."""

    input_serializer_class: Any = None
    instance_kwarg: str = ""
    create_service: Callable[..., Any]
    update_service: Callable[..., Any]
    delete_service: Callable[..., Any]

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return self.input_serializer_class
        return super().get_serializer_class()

    def render(self, instance: Any) -> dict:
        output: Any = self.serializer_class
        return output(instance, context=self.get_serializer_context()).data

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance = self.create_service(actor=request.user, **serializer.validated_data)
        return Response(self.render(instance), status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        serializer = self.get_serializer(
            instance, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        instance = self.update_service(
            **{self.instance_kwarg: instance}, actor=request.user, **serializer.validated_data
        )
        return Response(self.render(instance))

    def destroy(self, request, *args, **kwargs):
        self.delete_service(**{self.instance_kwarg: self.get_object()}, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
