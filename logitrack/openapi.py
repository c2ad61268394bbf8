"""OpenAPI pieces shared by the apps' ``@extend_schema`` declarations."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from drf_standardized_errors.openapi_serializers import ClientErrorEnum
from rest_framework import serializers

from logitrack.lockout import LOCKED_OUT_CODE, locked_out_message
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
    errors = ConflictErrorSerializer(many=True)  # type: ignore[assignment]  # a field, not .errors


CONFLICT_RESPONSE = OpenApiResponse(
    ConflictErrorResponseSerializer,
    description="The resource's current state does not allow this (see `code`).",
)


class SignInRefusedErrorSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=[(c, c) for c in ("throttled", LOCKED_OUT_CODE)])
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class SignInRefusedResponseSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
    errors = SignInRefusedErrorSerializer(many=True)  # type: ignore[assignment]  # a field, not .errors


SIGN_IN_REFUSED_RESPONSE = OpenApiResponse(
    SignInRefusedResponseSerializer,
    description=(
        "`throttled`: too many requests from this address. `locked_out`: too many failed "
        "sign-ins for this username from this address; refused, even with the right "
        "password, until no other try has been made for the time in `Retry-After` "
        "(seconds)."
    ),
    examples=[
        OpenApiExample(
            "Locked out",
            value={
                "type": "client_error",
                "errors": [{"code": LOCKED_OUT_CODE, "detail": locked_out_message(), "attr": None}],
            },
            response_only=True,
            status_codes=["429"],
        )
    ],
)
