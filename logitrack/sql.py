"""Reads on every request, kept cheap: statements built once from the models, and values
read as the text the API writes.

The ORM compiles a query on each call; for a read made on every API request (the
signed-in user, the delivery list's columns) that costs more than running it. These
helpers let a selector keep a statement built once and still hand back the values the
ORM would: the database backend's converters (for example SQLite's date-times) applied.
``read_as_text`` has a PostgreSQL cursor hand back time-stamps and decimals as the API's
strings, for rows that go straight to JSON.
"""

import datetime as dt
from collections.abc import Iterable

import psycopg2.extensions
from django.db.models.expressions import Col

Converters = list[tuple[int, list, Col]]


def column_converters(connection, columns: Iterable[Col]) -> Converters:
    """For each column that needs them, its position and the converters the ORM would
    apply to its values on ``connection``."""
    found = []
    for index, column in enumerate(columns):
        converters = connection.ops.get_db_converters(column)
        converters += column.get_db_converters(connection)
        if converters:
            found.append((index, converters, column))
    return found


def convert_rows(rows: list[tuple], converters: Converters, connection) -> list:
    """``rows`` as the ORM would return them (unchanged when nothing needs converting)."""
    if not converters:
        return rows
    converted = []
    for row in rows:
        values = list(row)
        for index, found, column in converters:
            for converter in found:
                values[index] = converter(values[index], column, connection)
        converted.append(values)
    return converted


def _utc_iso(value: str | None, cursor) -> str | dt.datetime | None:
    """A ``timestamptz`` as DRF writes a UTC date-time (``2025-01-02T03:04:05.120000Z``),
    straight from PostgreSQL's text (``2025-01-02 03:04:05.12+00`` in a UTC session)."""
    if value is None:
        return None
    if len(value) < 22 or value[10] != " " or not value.endswith("+00"):
        # Not a plain UTC time-stamp (a session in another time zone): a datetime in
        # UTC, which the JSON encoder writes as DRF does.
        return dt.datetime.fromisoformat(value).astimezone(dt.UTC)
    date, time = value[:10], value[11:-3]
    if len(time) > 8:  # PostgreSQL drops the fraction's trailing zeros; Python keeps six
        time = time.ljust(15, "0")
    return f"{date}T{time}Z"


UTC_ISO = psycopg2.extensions.new_type((1184,), "LOGITRACK_UTC_ISO", _utc_iso)
NUMERIC_TEXT = psycopg2.extensions.new_type(
    (1700,), "LOGITRACK_NUMERIC_TEXT", lambda value, cursor: value
)


def read_as_text(cursor) -> None:
    """Have ``cursor`` (a Django cursor) return ``timestamptz`` values as the API's UTC
    strings and ``numeric`` values as PostgreSQL writes them (``"12.50"`` for a column of
    two decimal places, DRF's form for a ``DecimalField`` of two places), instead of
    building datetime and Decimal objects only to turn them back into text; a no-op on
    other databases, which keep the ORM's values."""
    if cursor.db.vendor == "postgresql":
        psycopg2.extensions.register_type(UTC_ISO, cursor.cursor)
        psycopg2.extensions.register_type(NUMERIC_TEXT, cursor.cursor)
