"""Maps every error on the API to the contract's shape.

``{"type": ..., "errors": [{"code", "detail", "attr"}]}`` comes from
drf-standardized-errors; this module teaches it the service layer's domain errors
(``services.exceptions``) and Django's model validation errors.
"""

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_standardized_errors import formatter, handler
from drf_standardized_errors.types import VALIDATION_ERROR
from rest_framework import exceptions
from rest_framework.exceptions import ErrorDetail
from rest_framework.settings import api_settings
from rest_framework_simplejwt.exceptions import DetailDictMixin

from services.exceptions import DomainError

REQUEST_TOO_LARGE = "The request body is larger than this server accepts."


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = REQUEST_TOO_LARGE
    default_code = "request_too_large"


class DomainAPIException(exceptions.APIException):
    """A non-validation domain error (403, 409) carried through DRF."""

    def __init__(self, error: DomainError) -> None:
        self.status_code = error.status_code
        super().__init__(detail=error.detail, code=error.code)


def _as_drf(exc: Exception) -> Exception:
    if isinstance(exc, RequestDataTooBig):  # DATA_UPLOAD_MAX_MEMORY_SIZE
        return RequestTooLarge()
    if isinstance(exc, DetailDictMixin) and isinstance(exc, exceptions.APIException):
        return _single_authentication_error(exc)
    if isinstance(exc, DomainError):
        if exc.status_code == 400:
            key = exc.attr or api_settings.NON_FIELD_ERRORS_KEY
            return exceptions.ValidationError({key: [ErrorDetail(exc.detail, code=exc.code)]})
        return DomainAPIException(exc)
    if isinstance(exc, DjangoValidationError):
        detail: Any
        if hasattr(exc, "error_dict"):
            detail = {
                (api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else field): [
                    ErrorDetail(message, code=error.code or "invalid")
                    for error in errors
                    for message in error.messages
                ]
                for field, errors in exc.error_dict.items()
            }
        else:
            detail = [ErrorDetail(message, code=exc.code or "invalid") for message in exc.messages]
        return exceptions.ValidationError(detail)
    return exc


def _single_authentication_error(exc: exceptions.APIException) -> exceptions.APIException:
    """simplejwt's errors carry a dict (detail, code, messages…): one entry, its code."""
    if not isinstance(exc.detail, dict):
        return exc
    detail = exc.detail
    single = exceptions.AuthenticationFailed(
        str(detail.get("detail", exc.default_detail)),
        code=str(detail.get("code", exc.default_code)),
    )
    single.status_code = exc.status_code
    # The WWW-Authenticate header DRF set on the original.
    single.auth_header = getattr(exc, "auth_header", None)  # type: ignore[attr-defined]
    return single


class ExceptionHandler(handler.ExceptionHandler):
    def convert_known_exceptions(self, exc: Exception) -> Exception:
        return super().convert_known_exceptions(_as_drf(exc))


class ExceptionFormatter(formatter.ExceptionFormatter):
    """Every 400 is a ``validation_error`` (a malformed body included); a domain
    error's ``extra`` (e.g. ``tracking_codes``) is added to its error entry."""

    def get_error_type(self):
        if self.exc.status_code == 400:
            return VALIDATION_ERROR
        return super().get_error_type()

    def format_error_response(self, error_response):
        data = super().format_error_response(error_response)
        extra = getattr(self.original_exc, "extra", None)
        if extra and data["errors"]:
            data["errors"][0].update(extra)
        return data


def error_answer(exc: Exception) -> tuple[int, list[dict]] | None:
    """The status and error entries the API answers for ``exc`` (a refusal: a domain
    error, a validation error, a 404, …), or ``None`` for anything else."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    converted = _as_drf(exc)
    if not isinstance(converted, exceptions.APIException):
        return None
    context: Any = {"view": None, "args": (), "kwargs": {}, "request": None}
    response = handler.exception_handler(converted, context)
    if response is None:
        return None
    return response.status_code, response.data["errors"]
