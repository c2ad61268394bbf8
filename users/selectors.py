from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS
from django.db.models import QuerySet
from rest_framework_simplejwt.utils import get_md5_hash_password

from logitrack import cache
from users.models import User


def user_list() -> QuerySet[User]:
    """People's accounts: an API key's own account is managed with its key."""
    return User.objects.filter(api_key__isnull=True).order_by("id")


# What authentication keeps of an account in the cache: every column but the hash.
_ACCOUNT_FIELDS = tuple(
    field.attname for field in User._meta.concrete_fields if field.attname != "password"
)


def _account_row(user_id) -> tuple[tuple, str] | None:
    """The user's row without the password hash, and the hash's fingerprint (what a
    token carries to be revoked by a password change); ``None`` for no such user."""
    try:
        row = User.objects.filter(pk=user_id).values_list(*_ACCOUNT_FIELDS, "password").first()
    except (TypeError, ValueError, ValidationError):  # not an id at all
        return None
    if row is None:
        return None
    *values, password = row
    return tuple(values), get_md5_hash_password(password)


def user_get_for_request(user_id) -> User | None:
    """The signed-in user of an API request, served from the cache: authentication needs
    the account on every request. Any save or deletion of the user invalidates it after
    commit (``users.signals``), so a deactivated account is refused on its next request.
    The cache holds the row's values without the password hash (the instance defers it:
    read from the database if it is ever asked for) but with the hash's fingerprint
    (``password_fingerprint``), against which tokens are checked; every request gets
    its own instance."""
    found = cache.cached(cache.user_namespace(user_id), "account", lambda: _account_row(user_id))
    if found is None:
        return None
    row, fingerprint = found
    user = User.from_db(DEFAULT_DB_ALIAS, _ACCOUNT_FIELDS, row)
    user.password_fingerprint = fingerprint
    return user
