"""simplejwt's JWT authentication with two costs taken off every API request.

- A token this process has verified is not decoded and verified again: the verified
  token is kept (by its exact bytes, which the signature covers) until it expires; its
  expiry is checked on every request as before.
- The user comes from the cache (``users.selectors.user_get_for_request``), which any
  save or deletion of the user invalidates after commit; on a miss it is read with a
  statement built once rather than an ORM query compiled per request.

Everything else is simplejwt's: the same header parsing, the same errors and codes, the
same checks (user missing, inactive, password changed: ``CHECK_REVOKE_TOKEN`` is on).
"""

import time

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

from logitrack.memo import Memo
from users.selectors import user_get_for_request

# A token issued before the account's password was last set (changed, reset) is refused.
PASSWORD_CHANGED = "The password was changed after this token was issued."  # noqa: S105 - a message

# Verified tokens by their raw bytes (a process sees a few hundred live ones at most:
# access tokens live 15 minutes); a remembered token's expiry is still checked on use.
_verified = Memo(limit=4096, ttl=900)


def _leeway(token: Token) -> float:
    return token.get_token_backend().get_leeway().total_seconds()


class JWTAuthentication(authentication.JWTAuthentication):
    def get_validated_token(self, raw_token: bytes) -> Token:
        found = _verified.get(raw_token, None)
        if found is not None and time.time() < found[1]:
            return found[0]
        token = super().get_validated_token(raw_token)  # raises for a bad or expired one
        expires_at = token.payload.get("exp")
        if isinstance(expires_at, int | float):
            _verified.set(raw_token, (token, expires_at + _leeway(token)))
        return token

    def get_user(self, validated_token: Token):
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken("Token contained no recognizable user identification") from exc
        user = user_get_for_request(user_id)
        # Each a token that no longer stands for a usable account: ``token_not_valid``.
        if user is None:
            raise InvalidToken("User not found")
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise InvalidToken("User is inactive")
        if api_settings.CHECK_REVOKE_TOKEN and (
            validated_token.get(api_settings.REVOKE_TOKEN_CLAIM) != user.password_fingerprint
        ):
            raise InvalidToken(PASSWORD_CHANGED)
        return user


class JWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme simplejwt's class gets (``jwtAuth``)."""

    target_class = "logitrack.authentication.JWTAuthentication"
