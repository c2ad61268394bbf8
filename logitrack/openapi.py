"""OpenAPI pieces shared by the apps' ``@extend_schema`` declarations."""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from services.exceptions import Conflict


def _conflict_codes() -> list[str]:
    found, todo = [], [Conflict]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls is not Conflict:
            found.append(cls.code)
    return sorted(found)


class ConflictErrorSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=[(c, c) for c in _conflict_codes()])
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)
    tracking_codes = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="With `vehicle_has_active_deliveries` and `driver_has_active_deliveries`.",
    )


class ConflictErrorResponseSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=[("client_error", "client_error")])
    errors = ConflictErrorSerializer(many=True)


CONFLICT_RESPONSE = OpenApiResponse(
    ConflictErrorResponseSerializer,
    description="The resource's current state does not allow this (see `code`).",
)
