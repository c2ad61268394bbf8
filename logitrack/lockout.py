"""Sign-in lockout, by django-axes: after ``LOCKOUT_FAILURES`` failed sign-ins for one
username from one address, that username is refused from that address, even with the
right password, until ``LOCKOUT_MINUTES`` have passed without another try.

It counts the admin's login page and ``POST /api/v1/auth/token/`` alike, since both take
the same passwords: a lockout on one entrance only would leave the other open to
guessing. Attempts are rows in the database (axes' database handler), so the lockout
holds across server processes and with the cache down. ``manage.py axes_reset`` unlocks
everyone; ``axes_reset_username NAME`` one account.

Axes' backend refuses a locked-out sign-in and marks the request (``axes_locked_out``);
this module turns that mark into the answers: the admin's login page with the message,
or the API's error.
"""

import ipaddress
import math

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions

from logitrack import throttling

LOCKED_OUT_CODE = "locked_out"
LOCKED_OUT = (
    "Too many failed sign-ins for this account from your address. Try again in "
    "{minutes} min, or ask an administrator to unlock it."
)


def cool_off_seconds() -> int:
    """How long a lockout lasts from the last refused try (each try starts it again)."""
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def locked_out_message() -> str:
    return LOCKED_OUT.format(minutes=math.ceil(cool_off_seconds() / 60))


def is_locked_out(request) -> bool:
    """Whether axes refused this request's sign-in (or just reached the limit with it)."""
    return bool(getattr(request, "axes_locked_out", False))


def client_address(request) -> str | None:
    """The address a sign-in is counted for: the throttles' (``TRUSTED_PROXY_COUNT``).
    ``None`` where that is no address at all (a proxy count above the real one lets a
    client write it), which the database's address column would refuse."""
    try:
        return str(ipaddress.ip_address(throttling.client_address(request)))
    except ValueError:
        return None


def client_username(request, credentials: dict | None) -> str | None:
    """The username a sign-in is counted for, cut to the length axes' table holds: the
    token endpoint takes any length, and a longer one is nobody's anyway."""
    field = get_user_model().USERNAME_FIELD
    username = (credentials or getattr(request, "data", request.POST)).get(field)
    if not isinstance(username, str):
        return None
    return username[: AccessAttempt._meta.get_field("username").max_length]


class SignInLockedOut(exceptions.APIException):
    status_code = 429
    default_code = LOCKED_OUT_CODE

    def __init__(self) -> None:
        super().__init__(locked_out_message())
        self.wait = cool_off_seconds()  # Retry-After


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's login form; a locked-out sign-in is told so, not that the password
    was wrong."""

    def get_invalid_login_error(self) -> ValidationError:
        if is_locked_out(self.request):
            return ValidationError(locked_out_message(), code=LOCKED_OUT_CODE)
        return super().get_invalid_login_error()


def lockout_response(
    request: HttpRequest, response: HttpResponse, credentials: dict | None
) -> HttpResponse:
    """What a locked-out sign-in answers (axes' ``AXES_LOCKOUT_CALLABLE``, called by its
    middleware): the page as rendered, which says why, with status 429; under /api/ the
    API's error shape, never a page."""
    if request.path.startswith("/api/"):
        error = {"code": LOCKED_OUT_CODE, "detail": locked_out_message(), "attr": None}
        return JsonResponse(
            {"type": "client_error", "errors": [error]},
            status=SignInLockedOut.status_code,
            headers={"Retry-After": str(cool_off_seconds())},
        )
    response.status_code = SignInLockedOut.status_code
    return response
