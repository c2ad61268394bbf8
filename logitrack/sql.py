"""Statements built once from the models, for the few reads on every request.

The ORM compiles a query on each call; for a read made on every API request (the
signed-in user, the delivery list's columns) that costs more than running it. These
helpers let a selector keep a statement built once and still hand back the values the
ORM would: the database backend's converters (for example SQLite's date-times) applied.
"""

from collections.abc import Iterable

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
        row = list(row)
        for index, found, column in converters:
            for converter in found:
                row[index] = converter(row[index], column, connection)
        converted.append(row)
    return converted
