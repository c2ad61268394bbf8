"""OpenAPI pieces shared by the apps' ``@extend_schema`` declarations, and the schema
class (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``) that documents the error answers.

drf-standardized-errors documents each operation's error answers; this module corrects
it where LogiTrack answers otherwise, so that every body the API sends matches the
schema: a malformed body is a ``400 validation_error`` like any other 400 (the contract's
one type per status); a parse error and a body too large (413) are documented only where
a request body is read; 401, 413 and 429 carry LogiTrack's codes too; an id field and
``?search=`` answer codes the library does not see.
"""

import re
from typing import Any

import django_filters
from django.core.exceptions import FieldDoesNotExist
from django.db.models import TextChoices
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
)
from drf_standardized_errors import openapi
from drf_standardized_errors.openapi_serializers import ClientErrorEnum, ValidationErrorEnum
from drf_standardized_errors.openapi_utils import get_error_serializer
from drf_standardized_errors.settings import package_settings
from inflection import camelize
from rest_framework import serializers
from rest_framework.filters import SearchFilter
from rest_framework.permissions import SAFE_METHODS

from apikeys.authentication import ApiKeyExpired, ApiKeyNotValid, ApiKeyReadOnly, ApiKeyRevoked
from apikeys.permissions import NotWithApiKey
from idempotency.middleware import HEADER, is_exempt
from logitrack.filters import validate_search
from logitrack.lockout import LOCKED_OUT_CODE, locked_out_message
from services.exceptions import AdminAccountProtected, Conflict


def _conflict_codes() -> list[str]:
    found, todo = [], [Conflict]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls is not Conflict:
            found.append(cls.code)
    return sorted(set(found))  # a subclass may share its parent's code


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


def error_response_serializer(status: str, codes: type[TextChoices]) -> type:
    """The body of a ``client_error`` with ``status`` whose entries carry one of ``codes``
    (the components ``Error<status>`` and ``ErrorResponse<status>``)."""
    entry = type(
        f"Error{status}Serializer",
        (serializers.Serializer,),
        {
            "__module__": __name__,
            "code": serializers.ChoiceField(choices=codes.choices),
            "detail": serializers.CharField(),
            "attr": serializers.CharField(allow_null=True),
        },
    )
    return type(
        f"ErrorResponse{status}Serializer",
        (serializers.Serializer,),
        {
            "__module__": __name__,
            "type": serializers.ChoiceField(choices=ClientErrorEnum.choices),
            "errors": entry(many=True),
        },
    )


# 401 -------------------------------------------------------------------------------


class ErrorCode401(TextChoices):
    """Every code a 401 carries: DRF's, and simplejwt's for a token that is refused
    (``token_not_valid``: bad, expired, blacklisted, or its account no longer usable),
    a header that is not ``Bearer <token>`` and credentials that sign no one in, and
    an API key's (``apikeys.authentication``: unknown, revoked, expired)."""

    AUTHENTICATION_FAILED = "authentication_failed"
    NOT_AUTHENTICATED = "not_authenticated"
    TOKEN_NOT_VALID = "token_not_valid"  # noqa: S105 - an error code, not a secret
    BAD_AUTHORIZATION_HEADER = "bad_authorization_header"
    NO_ACTIVE_ACCOUNT = "no_active_account"
    API_KEY_NOT_VALID = ApiKeyNotValid.default_code
    API_KEY_REVOKED = ApiKeyRevoked.default_code
    API_KEY_EXPIRED = ApiKeyExpired.default_code


ErrorResponse401Serializer = error_response_serializer("401", ErrorCode401)


UNAUTHORIZED_RESPONSE = OpenApiResponse(
    ErrorResponse401Serializer, description="No, bad or expired credentials."
)


# 403 -------------------------------------------------------------------------------


class ErrorCode403(TextChoices):
    """DRF's, the service layer's role limit, and what an API key may not do."""

    PERMISSION_DENIED = "permission_denied"
    ADMIN_ACCOUNT_PROTECTED = AdminAccountProtected.code
    API_KEY_READ_ONLY = ApiKeyReadOnly.default_code
    API_KEY_NOT_ALLOWED = NotWithApiKey.code


ErrorResponse403Serializer = error_response_serializer("403", ErrorCode403)


# 404 -------------------------------------------------------------------------------


class NoLocationCode(TextChoices):
    NOT_FOUND = "not_found"  # no such object, or not yours to see
    NO_LOCATION = "no_location"  # it exists, but no position of it is known


class NoLocationErrorSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=NoLocationCode.choices)
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class NoLocationResponseSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
    errors = NoLocationErrorSerializer(many=True)  # type: ignore[assignment]  # a field, not .errors


NO_LOCATION_RESPONSE = OpenApiResponse(
    NoLocationResponseSerializer,
    description="`not_found`: no such object; `no_location`: no position of it is known.",
)


# 413, 429 --------------------------------------------------------------------------


class ErrorCode413(TextChoices):
    REQUEST_TOO_LARGE = "request_too_large"  # a body over REQUEST_MAX_BYTES


ErrorResponse413Serializer = error_response_serializer("413", ErrorCode413)


class ErrorCode429(TextChoices):
    THROTTLED = "throttled"  # the request rate
    TOO_MANY_REPORTS = "too_many_reports"  # POST /reports/ with REPORTS_AT_ONCE unfinished


ErrorResponse429Serializer = error_response_serializer("429", ErrorCode429)


# 400 -------------------------------------------------------------------------------


class ParseErrorCode(TextChoices):
    PARSE_ERROR = "parse_error"


class ParseErrorSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=ParseErrorCode.choices)
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class ParseErrorResponseSerializer(serializers.Serializer):
    """A body that is not JSON: like every 400, a ``validation_error``."""

    type = serializers.ChoiceField(choices=ValidationErrorEnum.choices)
    errors = ParseErrorSerializer(many=True)  # type: ignore[assignment]  # a field, not .errors


BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _proof_required_extras() -> dict[str, serializers.Field]:
    from deliveries.models import ProofKind

    return {
        "missing": serializers.ListField(
            child=serializers.ChoiceField(choices=ProofKind.choices),
            help_text="The proof kinds still missing.",
        )
    }


# Keys a 400 error entry carries besides code, detail and attr, by its code (a domain
# error's ``extra``, see ``logitrack.exception_handler``).
ERROR_EXTRAS = {"proof_required": _proof_required_extras}


# ``?search=`` (logitrack.filters.SearchFilter): too long is refused on ``search``; DRF's
# own check, a CharField's, refuses a NUL character with an error that names no field.
SEARCH_ERROR_CODES: dict[Any, set[str]] = {
    "search": {"search_too_long"},
    None: {"null_characters_not_allowed"},
}


IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]*[!-~][ -~]*$"},
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "1–255 printable ASCII characters. A repeat with the same key, path and body within "
        "24 hours gets the first answer again (header `Idempotent-Replayed: true`) and "
        "changes nothing; the same key with another path or body is "
        "`409 idempotency_key_reused`; a repeat while the first still runs is "
        "`409 idempotency_key_in_progress`. Keys are per user or API key."
    ),
)


def refused_with_results(handler):
    """Marks an action whose 400 may also be its 200's body (a bulk call with ``atomic``:
    every item's result, nothing written)."""
    handler.refused_with_results = True
    return handler


class AutoSchema(openapi.AutoSchema):
    def _is_idempotent(self) -> bool:
        """Whether the operation takes an Idempotency-Key (idempotency.middleware)."""
        return self.method == "POST" and not is_exempt(self.path)

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._is_idempotent():
            parameters.append(IDEMPOTENCY_KEY)
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction=direction)
        if direction != "response":
            return responses
        if self._is_idempotent() and "409" not in responses:
            responses["409"] = self._get_response_for_code(CONFLICT_RESPONSE, "409")
        handler = getattr(self.view, str(getattr(self.view, "action", "")), None)
        if getattr(handler, "refused_with_results", False):
            self._add_results_to_400(responses)
        return responses

    def _add_results_to_400(self, responses: dict) -> None:
        """A bulk call's 400 is either a refused body or, with ``atomic``, the 200's
        results (every item's, nothing written)."""
        results = responses["200"]["content"]["application/json"]["schema"]
        for content in responses["400"]["content"].values():
            content["schema"] = {"oneOf": [content["schema"], results]}

    def _should_add_http403_error_response(self) -> bool:
        # A read-only API key is refused every unsafe method (``api_key_read_only``),
        # wherever a key is taken.
        if self.method not in SAFE_METHODS and any(self.get_auth()):
            return True
        return super()._should_add_http403_error_response()

    def _has_body(self) -> bool:
        return self.method in BODY_METHODS and self.get_request_serializer() is not None

    def _should_add_error_response(self, responses: dict, status_code: str) -> bool:
        if status_code == "413":  # only a body can be too large
            return status_code not in responses and self._has_body()
        return super()._should_add_error_response(responses, status_code)

    def _determine_fields_with_error_codes(self):
        fields = super()._determine_fields_with_error_codes()
        for data_field in fields:
            # A related field that reads its id with a field of its own (logitrack.fields
            # .IdField) answers that field's codes too (``invalid`` for 1.5).
            pk_field = getattr(data_field.field, "pk_field", None)
            if pk_field is not None:
                data_field.error_codes |= set(pk_field.error_messages) - {"required", "null"}
        return fields

    def _get_extra_validation_errors(self):
        extra: dict[Any, set[str]] = dict(super()._get_extra_validation_errors())
        if self._searches():
            for field, codes in SEARCH_ERROR_CODES.items():
                extra[field] = extra.get(field, set()) | codes
        if self._is_idempotent():
            extra[None] = extra.get(None, set()) | {"invalid_idempotency_key"}
        if self.method == "GET" and self._is_list_view():
            # A page size that is not a whole number from 1, and a filter named with no
            # value (logitrack.pagination, logitrack.filters.FilterBackend).
            if getattr(self.view, "pagination_class", None) is not None:
                extra["page_size"] = extra.get("page_size", set()) | {"invalid"}
            filterset = getattr(self.view, "filterset_class", None)
            for name, filter_ in getattr(filterset, "base_filters", {}).items():
                if not isinstance(filter_, django_filters.CharFilter):
                    extra[name] = extra.get(name, set()) | {"blank"}
                if validate_search in filter_.extra.get("validators", ()):
                    extra[name] = extra.get(name, set()) | {"search_too_long"}
        return extra

    def _searches(self) -> bool:
        """Whether the operation documents SearchFilter's ``?search=``."""
        return (
            self.method == "GET"
            and self._is_list_view()
            and bool(getattr(self.view, "search_fields", None))
            and any(issubclass(backend, SearchFilter) for backend in self.get_filter_backends())
        )

    def _should_add_parse_error_response(self) -> bool:
        # Only a view that reads a body can fail to parse one; the library assumes any
        # view with a JSON parser can, GET and body-less actions included.
        return self._has_body() and super()._should_add_parse_error_response()

    def _get_serializer_for_validation_error_response(self):
        """As the library builds it; an entry whose code carries more keys
        (``ERROR_EXTRAS``) documents them."""
        codes_by_field = self._get_validation_error_codes_by_field(
            self._determine_fields_with_error_codes()
        )
        operation_id = self.get_operation_id()
        entries: dict[str, Any] = {}
        for attr, codes in codes_by_field.items():
            entry = get_error_serializer(operation_id, attr, codes)
            extras = {
                name: field
                for code, fields in ERROR_EXTRAS.items()
                if code in codes
                for name, field in fields().items()
            }
            if extras:
                meta = type("Meta", (), {"ref_name": entry.Meta.ref_name})  # type: ignore[attr-defined]
                entry = type(entry.__name__, (entry,), {**extras, "Meta": meta})
            entries[attr] = entry

        class ValidationErrorSerializer(serializers.Serializer):
            type = serializers.ChoiceField(choices=ValidationErrorEnum.choices)
            errors = PolymorphicProxySerializer(  # type: ignore[assignment]  # a field, not .errors
                component_name=f"{camelize(operation_id)}Error",
                resource_type_field_name="attr",
                serializers=entries,
                many=True,
            )

            class Meta:
                ref_name = f"{camelize(operation_id)}ValidationError"

        return ValidationErrorSerializer

    def _get_http400_serializer(self):
        # The library tells a parse error from a validation error by ``type``; here both
        # are ``validation_error``, and their entries tell them apart (``parse_error``
        # with a null ``attr`` matches no field's entry), so a plain ``oneOf``.
        choices = []
        if self._should_add_validation_error_response():
            choices.append(self._get_serializer_for_validation_error_response())
        if self._should_add_parse_error_response():
            choices.append(ParseErrorResponseSerializer)
        if len(choices) == 1:
            return choices[0]
        return PolymorphicProxySerializer(
            component_name=f"{camelize(self.get_operation_id())}ErrorResponse400",
            serializers=choices,
            resource_type_field_name=None,
        )


# Fields ----------------------------------------------------------------------------


class BlankableEmailFieldExtension(OpenApiSerializerFieldExtension):
    """An optional e-mail the client left out is sent as ``""``: documented as an
    e-mail address or the empty string, in requests and responses alike.

    DRF drops ``allow_blank`` from read-only model fields, so the model field says
    whether the value may be blank there.
    """

    target_class = "rest_framework.fields.EmailField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        email = {"type": "string", "format": "email"}
        if field.max_length is not None:
            email["maxLength"] = field.max_length
        if not _may_be_blank(field):
            return email
        # No top-level type: the field's e-mail validator would add ``format`` there.
        return {"anyOf": [email, {"type": "string", "maxLength": 0}]}


def _may_be_blank(field: serializers.Field) -> bool:
    if getattr(field, "allow_blank", False):
        return True
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.read_only:
        return False
    try:
        return model._meta.get_field(field.source).blank
    except FieldDoesNotExist:
        return False


# Hooks -----------------------------------------------------------------------------


def _index_pattern(attr: Any) -> str | None:
    """``items.INDEX.vehicle_id`` as the pattern of what the API writes there
    (``items.0.vehicle_id``); ``None`` for an ``attr`` with no list index."""
    separator = package_settings.NESTED_FIELD_SEPARATOR
    parts = str(attr).split(separator)
    if package_settings.LIST_INDEX_IN_API_SCHEMA not in parts:
        return None
    patterns = [
        "(0|[1-9][0-9]*)" if part == package_settings.LIST_INDEX_IN_API_SCHEMA else re.escape(part)
        for part in parts
    ]
    return "^" + re.escape(separator).join(patterns) + "$"


def document_list_indexes(result, generator, request, public):
    """drf-standardized-errors documents the error on a list's item with the ``attr``
    ``items.INDEX``; the API answers ``items.0``. Such an ``attr`` is documented as a
    pattern instead, and the error unions that hold one lose their discriminator (a
    mapping by ``attr`` cannot name every index)."""
    schemas = result.get("components", {}).get("schemas", {})
    patterned = set()
    for name, schema in schemas.items():
        values = schema.get("properties", {}).get("attr", {}).get("enum") or []
        pattern = _index_pattern(values[0]) if len(values) == 1 else None
        if pattern is not None:
            schema["properties"]["attr"] = {"type": "string", "pattern": pattern}
            patterned.add(f"#/components/schemas/{name}")
    for schema in schemas.values():
        if patterned & {option.get("$ref") for option in schema.get("oneOf", [])}:
            schema.pop("discriminator", None)
    return result
