"""``Authorization: Api-Key <key>``: a request made with an API key acts as the key's
account (``apikeys.models``), with ``request.auth`` the key.

A ``readonly`` key is refused every unsafe method here, at authentication, so that no
endpoint, present or future, lets it write: ``403 api_key_read_only``.
"""

import re

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.permissions import SAFE_METHODS

from apikeys.models import ApiKey, ApiKeyRole
from apikeys.selectors import api_key_get_by_prefix
from services.api_keys import api_key_record_use

KEYWORD = "Api-Key"
_generator = ApiKey.objects.key_generator
# What the library generates: "<prefix>.<secret>", both letters and digits.
KEY_FORMAT = re.compile(
    rf"[A-Za-z0-9]{{{_generator.prefix_length}}}\.[A-Za-z0-9]{{{_generator.secret_key_length}}}"
)


class BadApiKeyHeader(AuthenticationFailed):
    default_detail = f"The Authorization header must be `{KEYWORD} <key>`."
    default_code = "bad_authorization_header"


class ApiKeyNotValid(AuthenticationFailed):
    default_detail = "No such API key."
    default_code = "api_key_not_valid"


class ApiKeyRevoked(AuthenticationFailed):
    default_detail = "This API key has been revoked."
    default_code = "api_key_revoked"


class ApiKeyExpired(AuthenticationFailed):
    default_detail = "This API key has expired."
    default_code = "api_key_expired"


class ApiKeyReadOnly(PermissionDenied):
    default_detail = "This API key may only read (GET, HEAD, OPTIONS)."
    default_code = "api_key_read_only"


def _usable_key(key: str) -> ApiKey:
    if not KEY_FORMAT.fullmatch(key):
        raise ApiKeyNotValid()
    api_key = api_key_get_by_prefix(key.partition(".")[0])
    if api_key is None or not api_key.is_valid(key):
        raise ApiKeyNotValid()
    if api_key.revoked or not api_key.user.is_active:
        raise ApiKeyRevoked()
    if api_key.has_expired:
        raise ApiKeyExpired()
    return api_key


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None  # another scheme's, or none
        if len(parts) != 2:
            raise BadApiKeyHeader()
        api_key = _usable_key(parts[1].decode("latin-1"))
        api_key_record_use(api_key=api_key)
        if api_key.role == ApiKeyRole.READONLY and request.method not in SAFE_METHODS:
            raise ApiKeyReadOnly()
        return api_key.user, api_key

    def authenticate_header(self, request) -> str:
        return KEYWORD


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """Swagger UI's **Authorize** takes an API key as well as a JWT."""

    target_class = "apikeys.authentication.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": f"`{KEYWORD} <key>`, a key an admin created at `/api/v1/api-keys/`.",
        }
