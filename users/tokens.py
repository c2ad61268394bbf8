"""simplejwt's tokens, refusing a signed token whose expiry is not a time.

A token signed with our key but carrying ``"exp": "1799999999"`` or ``1e30`` passes the
signature check and PyJWT's; simplejwt then fails to turn it into a date. Such a token
is ``401 token_not_valid`` like any other bad token.
"""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt import tokens
from rest_framework_simplejwt.exceptions import TokenError

# Seconds since 1970 up to the year 3000: any real expiry.
LATEST_EXPIRY = 32_503_680_000


class _ExpiryChecked(tokens.Token):
    def check_exp(self, claim="exp", current_time=None):
        value = self.payload.get(claim)
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not 0 <= value < LATEST_EXPIRY
        ):
            raise TokenError(format_lazy(_("Token '{}' claim is not a time"), claim))
        return super().check_exp(claim, current_time)


class AccessToken(_ExpiryChecked, tokens.AccessToken):
    pass


class RefreshToken(_ExpiryChecked, tokens.RefreshToken):  # type: ignore[misc]  # the stubs' for_user
    access_token_class = AccessToken
