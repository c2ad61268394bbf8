from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from deliveries.models import (
    ACTIVE_STATUSES,
    TRACKING_CODE,
    Delivery,
    DeliveryEvent,
    DeliveryStatus,
    Report,
)
from fleet.models import Vehicle, VehicleStatus
from logitrack import cache
from logitrack.memo import Memo, memoized
from logitrack.permissions import is_staff_user
from logitrack.sql import Converters, column_converters, convert_rows, read_as_text
from users.models import User

VEHICLE_COLUMNS = (
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
DRIVER_COLUMNS = ("id", "username", "first_name", "last_name", "phone")
STAFF_VISIBILITY = "staff"


def delivery_list(*, user: User) -> QuerySet[Delivery]:
    """The deliveries ``user`` may see (staff: all; a driver: their own), with vehicle
    and driver joined so a page costs one query whatever its size."""
    qs = Delivery.objects.select_related("vehicle", "driver").order_by("-created_at", "-id")
    if not is_staff_user(user):
        qs = qs.filter(driver=user)
    return qs


def vehicle_load_kg(*, vehicle: Vehicle, excluding: Delivery | None = None) -> Decimal:
    """Weight of the vehicle's ``assigned``/``in_transit`` deliveries (without
    ``excluding``), to two decimal places on every database."""
    qs = Delivery.objects.filter(vehicle=vehicle, status__in=ACTIVE_STATUSES)
    if excluding is not None:
        qs = qs.exclude(pk=excluding.pk)
    total = qs.aggregate(total=Sum("weight_kg"))["total"] or Decimal("0")
    return total.quantize(Decimal("0.01"))


def delivery_event_list(*, delivery: Delivery) -> QuerySet[DeliveryEvent]:
    return delivery.events.select_related("actor").order_by("at", "id")


def delivery_get_public(*, tracking_code: str) -> Delivery | None:
    """The delivery behind a public tracking code, with its status history; ``None``
    for a code that cannot be one (not even looked up)."""
    tracking_code = tracking_code.strip().upper()
    if not TRACKING_CODE.fullmatch(tracking_code):
        return None
    return (
        Delivery.objects.filter(tracking_code=tracking_code)
        .only("tracking_code", "status", "scheduled_for", "delivered_at")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=DeliveryEvent.objects.only("delivery_id", "to_status", "at").order_by(
                    "at", "id"
                ),
            )
        )
        .first()
    )


def report_list(*, user: User) -> QuerySet[Report]:
    """Only the reports ``user`` asked for."""
    return Report.objects.filter(requested_by=user).order_by("-created_at", "-id")


def _stats_build() -> dict:
    deliveries = dict(Delivery.objects.order_by().values_list("status").annotate(n=Count("id")))
    vehicles = dict(Vehicle.objects.order_by().values_list("status").annotate(n=Count("id")))
    delivered = Delivery.objects.filter(status=DeliveryStatus.DELIVERED).aggregate(
        total=Count("id"), on_time=Count("id", filter=Q(delivered_at__lte=F("scheduled_for")))
    )
    return {
        "deliveries_by_status": {s: deliveries.get(s, 0) for s in DeliveryStatus.values},
        "vehicles_by_status": {s: vehicles.get(s, 0) for s in VehicleStatus.values},
        "on_time_rate": (
            round(delivered["on_time"] / delivered["total"], 4) if delivered["total"] else None
        ),
        "generated_at": timezone.now(),
    }


def delivery_stats() -> dict:
    """Counts by status and the on-time rate (delivered no later than scheduled), served
    from the cache; every write to deliveries or vehicles invalidates it after commit."""
    return cache.cached(cache.STATS, "all", _stats_build)


DELIVERY_COLUMNS = (
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
    "notes",
    "failure_reason",
    "created_at",
    "updated_at",
    "delivered_at",
)
# The columns of a delivery list row, in this order: the delivery's, its vehicle's (all
# NULL without one), its driver's (likewise).
DELIVERY_LIST_COLUMNS = (
    *DELIVERY_COLUMNS,
    *(f"vehicle__{name}" for name in VEHICLE_COLUMNS),
    *(f"driver__{name}" for name in DRIVER_COLUMNS),
)


@memoized()
def _list_converters(alias: str) -> Converters:
    """The converters the database backend applies to the list's columns."""
    connection = connections[alias]
    tables = ((Delivery, DELIVERY_COLUMNS), (Vehicle, VEHICLE_COLUMNS), (User, DRIVER_COLUMNS))
    columns = [
        model._meta.get_field(name).get_col(model._meta.db_table)
        for model, names in tables
        for name in names
    ]
    return column_converters(connection, columns)


# The SQL of list pages by the SQL of the same page reduced to its primary keys: the
# ORM compiles the thirty columns and two joins of a page in more CPU than PostgreSQL
# takes to run it, while the one-column form, which names every filter, join, order
# and limit of the page, compiles in a fraction of that.
_page_sql = Memo(limit=512, ttl=3600)


def delivery_list_rows(window: QuerySet[Delivery]) -> list:
    """The rows of ``window`` (an ordered, sliced queryset of deliveries, filtered at
    will) in ``DELIVERY_LIST_COLUMNS`` order: the ORM's own query for
    ``window.values_list(*DELIVERY_LIST_COLUMNS)``, compiled once per shape of page."""
    using = window.db
    try:
        key, params = window.values("pk").query.get_compiler(using).as_sql()
    except EmptyResultSet:  # a filter no row can match
        return []
    sql = _page_sql.get((using, key), None)
    if sql is None:
        query = window.values(*DELIVERY_LIST_COLUMNS).query
        sql, page_params = query.get_compiler(using).as_sql()
        if tuple(page_params) != tuple(params) or query.values_select != DELIVERY_LIST_COLUMNS:
            # Not the same statement with more columns: no shortcut for this one.
            return list(window.values_list(*DELIVERY_LIST_COLUMNS))
        _page_sql.set((using, key), sql)
    connection = connections[using]
    with connection.cursor() as cursor:
        read_as_text(cursor)
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return convert_rows(rows, _list_converters(using), connection)


def delivery_count(*, queryset: QuerySet[Delivery], key: str, everything: bool) -> int:
    """The exact number of rows of ``queryset``, cached under ``key``.

    The count of ``everything`` (no filter, no scope) changes only when a delivery is
    created or deleted, so it outlives status moves and edits, which would otherwise
    send every reader back to counting the whole table; any other count is rebuilt
    after each write to deliveries (versioned, see ``logitrack.cache``).
    """
    namespace = cache.DELIVERY_TOTAL if everything else cache.DELIVERIES
    return cache.cached(namespace, f"count:{key}", queryset.order_by().count)


def delivery_visibility(user: User) -> str:
    """A name for what ``user`` may see of the deliveries (cache keys never mix two)."""
    return STAFF_VISIBILITY if is_staff_user(user) else f"driver:{user.pk}"
