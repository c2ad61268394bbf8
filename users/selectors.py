from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from rest_framework_simplejwt.utils import get_md5_hash_password

from logitrack import cache
from logitrack.memo import memoized
from logitrack.sql import Converters, column_converters, convert_rows
from users.models import User


def user_list() -> QuerySet[User]:
    return User.objects.order_by("id")


@memoized()
def _user_by_id_statement(
    alias: str, *, with_password: bool = True
) -> tuple[str, list[str], Converters]:
    """The SQL that reads one user by primary key, the model's field names in column
    order, and the converters the database backend applies to those columns; built once
    per database, as the ORM would build it for ``User.objects.get(pk=...)`` (or, without
    the password, ``.defer("password")``)."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    fields = [
        field
        for field in User._meta.concrete_fields
        if with_password or field.attname != "password"
    ]
    table = User._meta.db_table
    sql = (
        f"SELECT {', '.join(quote(field.column) for field in fields)} "  # noqa: S608 - model's own names
        f"FROM {quote(table)} WHERE {quote(User._meta.pk.column)} = %s"
    )
    converters = column_converters(connection, [field.get_col(table) for field in fields])
    return sql, [field.attname for field in fields], converters


def _user_row(user_id, *, using: str, with_password: bool) -> tuple | None:
    try:
        user_id = User._meta.pk.get_prep_value(user_id)
    except (TypeError, ValueError):
        return None
    sql, _, converters = _user_by_id_statement(using, with_password=with_password)
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    [row] = convert_rows([row], converters, connection)
    return tuple(row)


def _user_from_row(row: tuple, *, using: str, with_password: bool) -> User:
    _, names, _ = _user_by_id_statement(using, with_password=with_password)
    return User.from_db(using, names, row)


def user_get_by_id(
    user_id, *, using: str = DEFAULT_DB_ALIAS, with_password: bool = True
) -> User | None:
    """The user with this primary key, or ``None``: what ``User.objects.get(pk=...)``
    returns (without ``with_password``, the password is deferred: read from the database
    if it is ever asked for), from a statement built once rather than a query compiled on
    every call."""
    row = _user_row(user_id, using=using, with_password=with_password)
    return None if row is None else _user_from_row(row, using=using, with_password=with_password)


def _account_row(user_id, *, using: str) -> tuple[tuple, str] | None:
    """The user's row without the password hash, and the hash's fingerprint (what a
    token carries to be revoked by a password change)."""
    row = _user_row(user_id, using=using, with_password=True)
    if row is None:
        return None
    _, names, _ = _user_by_id_statement(using, with_password=True)
    at = names.index("password")
    return row[:at] + row[at + 1 :], get_md5_hash_password(row[at])


def user_get_for_request(user_id) -> User | None:
    """The signed-in user of an API request, served from the cache: authentication needs
    the account on every request. Any save or deletion of the user invalidates it after
    commit (``users.signals``), so a deactivated account is refused on its next request.
    The cache holds the row's values without the password hash (the instance defers it:
    read from the database if it is ever asked for) but with the hash's fingerprint
    (``password_fingerprint``), against which tokens are checked; every request gets
    its own instance."""
    found = cache.cached(
        cache.user_namespace(user_id),
        "account",
        lambda: _account_row(user_id, using=DEFAULT_DB_ALIAS),
    )
    if found is None:
        return None
    row, fingerprint = found
    user = _user_from_row(row, using=DEFAULT_DB_ALIAS, with_password=False)
    user.password_fingerprint = fingerprint
    return user
