"""A delivery as the API writes it, from a plain row: the fast path of every delivery
answer (the list, a detail, the answer to each move).

``DeliverySerializer`` is the one place a delivery's output fields are named; this
module reads them off it once: the columns to select (``COLUMNS``, ORM paths such as
``vehicle__plate_number``) and how a row of those columns becomes the serializer's JSON
(``render_row``), by name; a field that is no column (``lateness.is_late``) is computed
from the row's own values as ``Delivery.lateness`` computes it. Building a
ModelSerializer's fields costs more per response than the database query; a row costs
a couple of ``dict(zip())`` calls. A test holds the two outputs equal for every field.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson
from django.utils import timezone
from rest_framework import serializers

from deliveries.models import LATENESS_INPUTS, Delivery, delivery_late_by, lateness
from deliveries.serializers import DeliverySerializer

_CENTS = Decimal("0.01")


@dataclass(frozen=True)
class _Group:
    """One object of the output: the delivery itself or a nested one (``key``);
    its values are ``row[start:end]``, the first of a nested object its non-null id."""

    key: str  # "" for the delivery itself
    start: int
    end: int
    names: tuple[str, ...]
    decimals: tuple[str, ...]


_COMPUTED = "lateness."


def _computed(fields: dict) -> dict[str, str]:
    """The fields computed by ``lateness()``, by the key of its result each shows."""
    computed = {name: f.source for name, f in fields.items() if "." in f.source}
    for name, source in computed.items():
        if not source.startswith(_COMPUTED) or source.removeprefix(_COMPUTED) not in lateness(None):
            raise ValueError(f"{name}: only Delivery.lateness is computed on the fast path")
    if computed and not set(LATENESS_INPUTS) <= set(fields):
        raise ValueError(f"The fields lateness is computed from: {LATENESS_INPUTS}")
    return {name: source.removeprefix(_COMPUTED) for name, source in computed.items()}


def _read(serializer_class) -> tuple[tuple[str, ...], tuple[_Group, ...], dict[str, str]]:
    fields = serializer_class().fields
    plain = {name: f for name, f in fields.items() if not isinstance(f, serializers.Serializer)}
    computed = _computed(plain)
    plain = {name: f for name, f in plain.items() if name not in computed}
    nested = {name: f for name, f in fields.items() if isinstance(f, serializers.Serializer)}
    if list(fields)[: len(plain) + len(computed)] != [*plain, *computed]:
        raise ValueError(f"{serializer_class.__name__}: nested objects come after the fields")
    columns: list[str] = []
    groups = []
    for key, prefix, group_fields in [("", "", plain)] + [
        (name, f"{f.source}__", f.fields) for name, f in nested.items()
    ]:
        if key and next(iter(group_fields)) != "id":
            raise ValueError(f"{serializer_class.__name__}.{key}: the id comes first")
        start = len(columns)
        columns += [f"{prefix}{f.source}" for f in group_fields.values()]
        decimals = tuple(
            name for name, f in group_fields.items() if isinstance(f, serializers.DecimalField)
        )
        groups.append(_Group(key, start, len(columns), tuple(group_fields), decimals))
    return tuple(columns), tuple(groups), computed


COLUMNS, _GROUPS, _LATENESS_FIELDS = _read(DeliverySerializer)


def _as_text(item: dict, names: tuple[str, ...]) -> None:
    for name in names:
        value = item[name]
        if value is not None and not isinstance(value, str):
            item[name] = f"{value.quantize(_CENTS):f}"


def _as_time(value: str | dt.datetime | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def _add_lateness(item: dict, now: dt.datetime) -> None:
    late_by = delivery_late_by(
        status=item["status"],
        scheduled_for=_as_time(item["scheduled_for"]),  # type: ignore[arg-type]  # not null
        window_end=_as_time(item["window_end"]),
        delivered_at=_as_time(item["delivered_at"]),
        now=now,
    )
    values = lateness(late_by)
    for name, key in _LATENESS_FIELDS.items():
        item[name] = values[key]


def render_row(row: Sequence[Any], now: dt.datetime | None = None) -> dict:
    """A row of ``COLUMNS`` as ``DeliverySerializer`` writes it at ``now`` (default: the
    current time). Decimals may come as text already (``logitrack.sql.read_as_text``)
    or as ``Decimal``; date-times as the API's text or as UTC datetimes, which DRF's and
    ``dumps`` write the same."""
    top, *nested = _GROUPS
    item = dict(zip(top.names, row[top.start : top.end], strict=True))
    _as_text(item, top.decimals)
    if _LATENESS_FIELDS:
        _add_lateness(item, now or timezone.now())
    for group in nested:
        if row[group.start] is None:
            item[group.key] = None
            continue
        inner = dict(zip(group.names, row[group.start : group.end], strict=True))
        _as_text(inner, group.decimals)
        item[group.key] = inner
    return item


def render_rows(rows: Sequence[Sequence[Any]]) -> list[dict]:
    """``rows`` rendered as of one moment, so a page tells one time."""
    now = timezone.now()
    return [render_row(row, now) for row in rows]


def _value(delivery: Delivery, path: str) -> Any:
    value: Any = delivery
    for name in path.split("__"):
        if value is None:
            return None
        value = getattr(value, name)
    return value


def render(delivery: Delivery) -> dict:
    """``delivery`` (its vehicle and driver loaded) as ``DeliverySerializer`` writes it."""
    return render_row([_value(delivery, path) for path in COLUMNS])


def dumps(body: Any) -> bytes:
    """JSON as DRF writes it: date-times in UTC end in ``Z``."""
    return orjson.dumps(body, option=orjson.OPT_UTC_Z)
