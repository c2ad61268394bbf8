"""Input that means one thing only.

DRF's fields are lenient where a client's mistake should be an error: ``1.5`` names
object 1, ``"1_000"`` and Arabic-Indic digits are numbers, a date-time without an offset
is taken as UTC and year 1 is a fine date. These fields refuse all of that with ``400``,
and text that identifies something (a plate, a username) is normalised the same way
wherever it comes from.
"""

import datetime as dt
import math
import re

from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

# The largest primary key PostgreSQL's bigint holds.
MAX_ID = 2**63 - 1
PLAIN_DECIMAL = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?", re.ASCII)
PLAIN_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)

NOT_PLAIN_DECIMAL = 'Write the number as a string of digits 0-9 with at most one point: "12.50".'
NAIVE_DATETIME = "Include the UTC offset, e.g. 2030-01-31T09:00:00Z or +01:00."
OUT_OF_RANGE_DATETIME = "Give a date between 2000 and 2099."
OFF_THE_GLOBE = "Give a number from -{limit} to {limit}: this is not a place on Earth."
INVALID_COORDINATES = "invalid_coordinates"


class IdField(serializers.PrimaryKeyRelatedField):
    """An object named by its id: a whole number (``1.5`` and ``"1e3"`` are
    ``400 invalid``, ``true`` and lists ``400 incorrect_type``), unknown ids (any size)
    ``400 does_not_exist``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("pk_field", serializers.IntegerField())
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


class _JsonTyped:
    """Refuses a JSON value of another type (``{"reason": 0}``, ``{"is_active": "yes"}``,
    ``{"year": "2020"}``) with ``400`` instead of converting it."""

    json_types: tuple[type, ...] = (str,)
    wrong_type = "invalid"  # the field's error for it

    def to_internal_value(self, data):
        if not isinstance(data, self.json_types) or (
            isinstance(data, bool) and bool not in self.json_types
        ):
            self.fail(self.wrong_type, input=data)  # type: ignore[attr-defined]
        return super().to_internal_value(data)  # type: ignore[misc]


class TextField(_JsonTyped, serializers.CharField):
    pass


class EmailField(_JsonTyped, serializers.EmailField):
    pass


class IntField(_JsonTyped, serializers.IntegerField):
    json_types = (int,)


class BoolField(_JsonTyped, serializers.BooleanField):
    json_types = (bool,)


class NumberField(_JsonTyped, serializers.FloatField):
    """A finite JSON number (not text, not a boolean; ``1e400`` is refused), as a float."""

    json_types: tuple[type, ...] = (int, float)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value


class CoordinateField(NumberField):
    """A latitude (``limit`` 90) or a longitude (``limit`` 180) in degrees: a number off
    the globe is ``400 invalid_coordinates``."""

    default_error_messages = {INVALID_COORDINATES: OFF_THE_GLOBE}

    def __init__(self, *, limit: int, **kwargs):
        self.limit = limit
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, float) and not math.isfinite(data):
            self.fail(INVALID_COORDINATES, limit=self.limit)
        value = super().to_internal_value(data)
        if not -self.limit <= value <= self.limit:
            self.fail(INVALID_COORDINATES, limit=self.limit)
        return value


class ChoiceField(_JsonTyped, serializers.ChoiceField):
    wrong_type = "invalid_choice"


class PlainDecimalField(_JsonTyped, serializers.DecimalField):
    """A decimal as the contract writes it, a string of ASCII digits with at most one
    point (``"12.50"``): no ``1_000``, no ``٣``, no ``1e3``, no ``NaN``, no JSON number."""

    def to_internal_value(self, data):
        if not isinstance(data, str) or not PLAIN_DECIMAL.fullmatch(data.strip()):
            raise serializers.ValidationError(NOT_PLAIN_DECIMAL, code="invalid")
        return super().to_internal_value(data.strip())


class FormCoordinateField(CoordinateField):
    """The same in a multipart form, where every value is text: ASCII digits (``52.37``,
    ``-4.9e1``); no ``1_000``, no ``٣``, no ``NaN``."""

    json_types: tuple[type, ...] = (str,)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not PLAIN_FLOAT.fullmatch(data.strip()):
            self.fail("invalid")
        return super().to_internal_value(data.strip())


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date-time with its UTC offset, between 2000 and 2099."""

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:  # well formed but no date-time (12:99): refused below
                parsed = None
            if parsed is not None and timezone.is_naive(parsed):
                raise serializers.ValidationError(NAIVE_DATETIME, code="invalid")
        result = super().to_internal_value(value)
        if not EARLIEST <= result < LATEST:
            raise serializers.ValidationError(OUT_OF_RANGE_DATETIME, code="invalid")
        return result


class StrictModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose fields are the strict ones above."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: TextField,
        models.TextField: TextField,
        models.EmailField: EmailField,
        models.IntegerField: IntField,
        models.PositiveSmallIntegerField: IntField,
        models.PositiveIntegerField: IntField,
        models.BooleanField: BoolField,
        models.DecimalField: PlainDecimalField,
        models.DateTimeField: AwareDateTimeField,
    }
    serializer_choice_field = ChoiceField
