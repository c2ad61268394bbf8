"""Reading PostgreSQL's text straight into the API's forms (``logitrack.sql``)."""

import datetime as dt

import pytest
from django.db import connection
from rest_framework.fields import DateTimeField

from logitrack.sql import read_as_text

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="text casts are for PostgreSQL"
)


def _drf(moment: dt.datetime) -> str:
    return DateTimeField().to_representation(moment)


@postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("2025-03-04 05:06:07+00", dt.datetime(2025, 3, 4, 5, 6, 7, tzinfo=dt.UTC)),
        ("2025-03-04 05:06:07.12+00", dt.datetime(2025, 3, 4, 5, 6, 7, 120000, tzinfo=dt.UTC)),
        ("2025-03-04 05:06:07.000001+00", dt.datetime(2025, 3, 4, 5, 6, 7, 1, tzinfo=dt.UTC)),
        ("2025-03-04 07:06:07.5+02", dt.datetime(2025, 3, 4, 5, 6, 7, 500000, tzinfo=dt.UTC)),
        ("0999-03-04 05:06:07+00", dt.datetime(999, 3, 4, 5, 6, 7, tzinfo=dt.UTC)),
    ],
)
def test_timestamps_read_as_drf_writes_them(literal, expected):
    with connection.cursor() as cursor:
        read_as_text(cursor)
        cursor.execute("SELECT %s::timestamptz, NULL::timestamptz", [literal])
        value, null = cursor.fetchone()
    assert null is None
    # A UTC string in DRF's form; the driver's own datetime, in UTC, for anything else.
    written = value if isinstance(value, str) else _drf(value)
    assert written == _drf(expected)


@postgres_only
@pytest.mark.django_db
def test_a_session_in_another_time_zone_still_reads_utc():
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'Europe/Paris'")
        try:
            read_as_text(cursor)
            cursor.execute("SELECT '2025-03-04 05:06:07+00'::timestamptz")
            [value] = cursor.fetchone()
        finally:
            cursor.execute("SET TIME ZONE 'UTC'")
    assert value == dt.datetime(2025, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    assert value.utcoffset() == dt.timedelta(0)


@postgres_only
@pytest.mark.django_db
def test_numerics_read_as_postgresql_writes_them():
    with connection.cursor() as cursor:
        read_as_text(cursor)
        cursor.execute("SELECT 7::numeric(10, 2), 12.5::numeric(10, 2), NULL::numeric")
        assert cursor.fetchone() == ("7.00", "12.50", None)


@pytest.mark.django_db
def test_other_cursors_keep_the_drivers_values():
    with connection.cursor() as cursor:
        read_as_text(cursor)
    with connection.cursor() as cursor:
        cursor.execute("SELECT CAST(12.5 AS NUMERIC(10, 2))")
        [value] = cursor.fetchone()
    assert not isinstance(value, str)
