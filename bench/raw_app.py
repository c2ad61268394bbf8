"""The benchmark's yardstick: the delivery list with nothing but psycopg2 and orjson.

A WSGI app with no framework, no authentication and no cache that answers
``GET /api/v1/deliveries/`` (``?page=``, ``?page_size=``, ``?status=``, repeatable)
from LogiTrack's own tables with the body the API gives: ``{count, next, previous,
results}``, each delivery with its nested vehicle and driver, in the same order (newest
first). It is what a hand-written endpoint over the same join costs, so LogiTrack's
requests/s can be read as a share of it.

``count`` is by default the planner's row estimate for the same filter (``EXPLAIN``),
which costs next to nothing at any table size: the yardstick is the fastest way to give
that body without a cache, as LogiTrack's cached count costs next to nothing once
counted. With ``RAW_COUNT=exact`` it is ``SELECT COUNT(*)`` on every request instead,
which on a million rows costs more than everything else together.

One connection per process, opened on its first request (so after Gunicorn forks), in
autocommit and in UTC. The database comes from ``RAW_DATABASE_URL``, else
``DATABASE_URL``. Run it with ``gunicorn bench.raw_app:application``.
"""

import datetime as dt
import os
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import orjson
import psycopg2

LIST_PATH = "/api/v1/deliveries/"
LIVE_PATH = "/health/live/"
STATUSES = frozenset({"pending", "assigned", "in_transit", "delivered", "failed", "cancelled"})
UNFINISHED = frozenset({"pending", "assigned", "in_transit"})
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
COUNT_EXACT = "exact"
COUNT_ESTIMATE = "estimate"

DELIVERY_FIELDS = (
    "id",
    "tracking_code",
    "status",
    "origin_address",
    "destination_address",
    "recipient_name",
    "recipient_phone",
    "recipient_email",
    "weight_kg",
    "scheduled_for",
    "window_start",
    "window_end",
    "notes",
    "proof_required",
    "destination_lat",
    "destination_lng",
    "failure_reason",
    "created_at",
    "updated_at",
    "delivered_at",
)
VEHICLE_FIELDS = (
    "id",
    "plate_number",
    "make",
    "model",
    "year",
    "vehicle_type",
    "capacity_kg",
    "status",
    "created_at",
    "updated_at",
)
DRIVER_FIELDS = ("id", "username", "first_name", "last_name", "phone")
# Decimals as the API writes them: strings with their two places ("12.50").
_AS_TEXT = frozenset({"weight_kg", "capacity_kg"})


def _columns(alias: str, fields: Iterable[str]) -> str:
    return ", ".join(
        f"{alias}.{name}::text" if name in _AS_TEXT else f"{alias}.{name}" for name in fields
    )


PAGE_SQL = (
    f"SELECT {_columns('d', DELIVERY_FIELDS)}, {_columns('v', VEHICLE_FIELDS)}, "  # noqa: S608 - fixed names
    f"{_columns('u', DRIVER_FIELDS)} "
    "FROM deliveries_delivery d "
    "LEFT JOIN fleet_vehicle v ON v.id = d.vehicle_id "
    "LEFT JOIN users_user u ON u.id = d.driver_id "
    "{where} ORDER BY d.created_at DESC, d.id DESC LIMIT %s OFFSET %s"
)
COUNT_SQL = "SELECT COUNT(*) FROM deliveries_delivery d {where}"
ESTIMATE_SQL = "EXPLAIN (FORMAT JSON) SELECT 1 FROM deliveries_delivery d {where}"
# IN (…) rather than = ANY(array): with one status PostgreSQL plans it as "=", which lets
# the (status, created_at, id) index give the rows in order.
STATUS_WHERE = "WHERE d.status IN %s"

_VEHICLE_START = len(DELIVERY_FIELDS)
_DRIVER_START = _VEHICLE_START + len(VEHICLE_FIELDS)


class NotFoundError(Exception):
    pass


class BadStatusError(Exception):
    pass


def page_size(raw: str | None) -> int:
    """The API's rule: 25 unless asked, at most 100; a bad value means the default."""
    try:
        size = int(raw) if raw is not None else DEFAULT_PAGE_SIZE
    except ValueError:
        return DEFAULT_PAGE_SIZE
    if size < 1:
        return DEFAULT_PAGE_SIZE
    return min(size, MAX_PAGE_SIZE)


def page_number(raw: str | None) -> int:
    try:
        number = int(raw) if raw is not None else 1
    except ValueError as exc:
        raise NotFoundError from exc
    if number < 1:
        raise NotFoundError
    return number


def with_page(url: str, number: int) -> str:
    """``url`` asking for page ``number`` (the first page carries no ``page``), with its
    query parameters sorted, as Django REST framework writes its links."""
    scheme, netloc, path, query, fragment = urlsplit(url)
    params = parse_qs(query, keep_blank_values=True)
    params.pop("page", None)
    if number > 1:
        params["page"] = [str(number)]
    return urlunsplit(
        (scheme, netloc, path, urlencode(sorted(params.items()), doseq=True), fragment)
    )


def add_lateness(item: dict, now: dt.datetime) -> None:
    """The API's ``is_late`` and ``late_by_minutes``: past the deadline (the window's
    end, else the scheduled time) unfinished at ``now``, or delivered after it."""
    deadline = item["window_end"] or item["scheduled_for"]
    end = item["delivered_at"] if item["status"] == "delivered" else None
    if item["status"] in UNFINISHED:
        end = now
    late = end is not None and end > deadline
    item["is_late"] = late
    item["late_by_minutes"] = int((end - deadline).total_seconds() // 60) if late else None


def delivery_item(row: tuple, now: dt.datetime) -> dict:
    """One result of the list from one joined row, as of ``now``."""
    item = dict(zip(DELIVERY_FIELDS, row[:_VEHICLE_START], strict=True))
    add_lateness(item, now)
    vehicle = row[_VEHICLE_START:_DRIVER_START]
    driver = row[_DRIVER_START:]
    item["vehicle"] = (
        dict(zip(VEHICLE_FIELDS, vehicle, strict=True)) if vehicle[0] is not None else None
    )
    item["driver"] = (
        dict(zip(DRIVER_FIELDS, driver, strict=True)) if driver[0] is not None else None
    )
    return item


def dumps(body: dict) -> bytes:
    # Times in UTC end in "Z", as the API writes them.
    return orjson.dumps(body, option=orjson.OPT_UTC_Z)


def request_url(environ: dict) -> str:
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    query = environ.get("QUERY_STRING", "")
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    return f"{environ['wsgi.url_scheme']}://{host}{path}" + (f"?{query}" if query else "")


class RawDeliveryList:
    """The WSGI application; ``connect()`` gives it a new psycopg2 connection."""

    def __init__(self, connect: Callable[[], "psycopg2.extensions.connection"], count: str):
        if count not in (COUNT_EXACT, COUNT_ESTIMATE):
            raise ValueError(f"count must be {COUNT_EXACT!r} or {COUNT_ESTIMATE!r}, not {count!r}")
        self.connect = connect
        self.count_mode = count
        self._connection: Any = None

    def cursor(self):
        if self._connection is None or self._connection.closed:
            connection = self.connect()
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute("SET TIME ZONE 'UTC'")
            self._connection = connection
        return self._connection.cursor()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def page(self, url: str, query: dict[str, list[str]]) -> dict:
        size = page_size(next(reversed(query.get("page_size") or []), None))
        number = page_number(next(reversed(query.get("page") or []), None))
        statuses = query.get("status") or []
        if any(status not in STATUSES for status in statuses):
            raise BadStatusError
        where, params = (STATUS_WHERE, [tuple(statuses)]) if statuses else ("", [])
        try:
            with self.cursor() as cursor:
                cursor.execute(
                    PAGE_SQL.format(where=where), [*params, size + 1, (number - 1) * size]
                )
                rows = cursor.fetchall()
                if not rows and number > 1:
                    raise NotFoundError
                if self.count_mode == COUNT_EXACT:
                    cursor.execute(COUNT_SQL.format(where=where), params)
                    count = cursor.fetchone()[0]
                else:
                    cursor.execute(ESTIMATE_SQL.format(where=where), params)
                    count = int(cursor.fetchone()[0][0]["Plan"]["Plan Rows"])
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            self.close()  # the next request reconnects
            raise
        now = dt.datetime.now(dt.UTC)
        return {
            "count": count,
            "next": with_page(url, number + 1) if len(rows) > size else None,
            "previous": with_page(url, number - 1) if number > 1 else None,
            "results": [delivery_item(row, now) for row in rows[:size]],
        }

    def __call__(self, environ: dict, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        body: dict[str, Any]
        if path == LIVE_PATH:
            status, body = "200 OK", {"status": "ok"}
        elif path != LIST_PATH:
            status, body = "404 Not Found", {"detail": "Not found."}
        elif method != "GET":
            status, body = "405 Method Not Allowed", {"detail": f'Method "{method}" not allowed.'}
        else:
            query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
            try:
                status, body = "200 OK", self.page(request_url(environ), query)
            except NotFoundError:
                status, body = "404 Not Found", {"detail": "Invalid page."}
            except BadStatusError:
                status, body = "400 Bad Request", {"status": ["Not a valid choice."]}
        content = dumps(body)
        start_response(
            status,
            [("Content-Type", "application/json"), ("Content-Length", str(len(content)))],
        )
        return [content]


def _from_environment() -> RawDeliveryList:
    dsn = os.environ.get("RAW_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""

    def connect():
        if not dsn.startswith(("postgres://", "postgresql://")):
            raise RuntimeError("Set RAW_DATABASE_URL (or DATABASE_URL) to a PostgreSQL URL.")
        return psycopg2.connect(dsn)

    return RawDeliveryList(connect, count=os.environ.get("RAW_COUNT", COUNT_ESTIMATE))


application = _from_environment()
