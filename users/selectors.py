import functools

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

from logitrack.sql import Converters, column_converters, convert_rows
from users.models import User


def user_list() -> QuerySet[User]:
    return User.objects.order_by("id")


@functools.cache
def _user_by_id_statement(alias: str) -> tuple[str, list[str], Converters]:
    """The SQL that reads one user by primary key, the model's field names in column
    order, and the converters the database backend applies to those columns; built once
    per database, as the ORM would build it for ``User.objects.get(pk=...)``."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    fields = User._meta.concrete_fields
    table = User._meta.db_table
    sql = (
        f"SELECT {', '.join(quote(field.column) for field in fields)} "  # noqa: S608 - model's own names
        f"FROM {quote(table)} WHERE {quote(User._meta.pk.column)} = %s"
    )
    converters = column_converters(connection, [field.get_col(table) for field in fields])
    return sql, [field.attname for field in fields], converters


def user_get_by_id(user_id, *, using: str = DEFAULT_DB_ALIAS) -> User | None:
    """The user with this primary key, or ``None``: what ``User.objects.get(pk=...)``
    returns, from a statement built once rather than a query compiled on every call.
    Authentication reads the user on every API request."""
    try:
        user_id = User._meta.pk.get_prep_value(user_id)
    except (TypeError, ValueError):
        return None
    sql, names, converters = _user_by_id_statement(using)
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    [row] = convert_rows([row], converters, connection)
    return User.from_db(using, names, row)
