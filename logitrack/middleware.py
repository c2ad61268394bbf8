"""What every answer under ``/api/`` shares, whatever produced it."""

from django.core.exceptions import DisallowedHost
from django.http import JsonResponse
from django.utils.cache import patch_cache_control, patch_vary_headers

API_PREFIX = "/api/"
INVALID_HOST = "This server does not answer to that host name."
# Codes of the errors Django itself answers before or around the API's views.
STATUS_CODES = {
    400: "bad_request",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    500: "error",
}


def error_response(status: int, code: str, detail: str) -> JsonResponse:
    """The contract's error shape: one entry, no field."""
    kind = (
        "validation_error" if status == 400 else "client_error" if status < 500 else "server_error"
    )
    errors = [{"code": code, "detail": detail, "attr": None}]
    return JsonResponse({"type": kind, "errors": errors}, status=status)


class ApiMiddleware:
    """For ``/api/``: an error Django would answer with an HTML page (a host name this
    server does not serve, a body too large before a view ran, a crash in a middleware)
    is the contract's JSON instead; and an answer to a signed-in request is never kept
    by a shared cache (``Cache-Control: private, no-store``, ``Vary: Authorization``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        try:
            request.get_host()
        except DisallowedHost:
            return error_response(400, "invalid_host", INVALID_HOST)
        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            status = response.status_code
            response = error_response(
                status, STATUS_CODES.get(status, "error"), f"{response.reason_phrase}."
            )
        user = getattr(request, "user", None)
        if "HTTP_AUTHORIZATION" in request.META or (user is not None and user.is_authenticated):
            patch_cache_control(response, private=True, no_store=True)
            patch_vary_headers(response, ["Authorization"])
        return response
