import functools

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone

from deliveries.models import Delivery, DeliveryEvent, DeliveryStatus, Report
from fleet.models import Vehicle, VehicleStatus
from logitrack import cache
from logitrack.permissions import is_staff_user
from logitrack.sql import Converters, column_converters, convert_rows
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


def delivery_event_list(*, delivery: Delivery) -> QuerySet[DeliveryEvent]:
    return delivery.events.select_related("actor").order_by("at", "id")


def delivery_get_public(*, tracking_code: str) -> Delivery | None:
    """The delivery behind a public tracking code, with its status history."""
    return (
        Delivery.objects.filter(tracking_code=tracking_code.strip().upper())
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


@functools.cache
def _list_statement(alias: str) -> tuple[str, dict[str, str], Converters]:
    """The SELECT … FROM of a delivery list page (deliveries joined with vehicle and
    driver), the SQL name of each delivery column (for WHERE and ORDER BY), and the converters the
    database backend applies to the columns; built once per database from the models."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    tables = (("d", Delivery, DELIVERY_COLUMNS), ("v", Vehicle, VEHICLE_COLUMNS))
    tables += (("u", User, DRIVER_COLUMNS),)
    fields = [
        (table, model._meta.get_field(name)) for table, model, names in tables for name in names
    ]
    select = [f"{table}.{quote(field.column)}" for table, field in fields]
    converters = column_converters(connection, [field.get_col(table) for table, field in fields])
    delivery = Delivery._meta
    joins = (
        f"{quote(delivery.db_table)} d "
        f"LEFT OUTER JOIN {quote(Vehicle._meta.db_table)} v "
        f"ON v.{quote(Vehicle._meta.pk.column)} = d.{quote(delivery.get_field('vehicle').column)} "
        f"LEFT OUTER JOIN {quote(User._meta.db_table)} u "
        f"ON u.{quote(User._meta.pk.column)} = d.{quote(delivery.get_field('driver').column)}"
    )
    columns = {name: f"d.{quote(delivery.get_field(name).column)}" for name in DELIVERY_COLUMNS}
    columns["pk"] = columns["id"]
    return f"SELECT {', '.join(select)} FROM {joins}", columns, converters  # noqa: S608 - model names only


def delivery_list_rows(window: QuerySet[Delivery]) -> list[tuple]:
    """The rows of ``window`` (an ordered, sliced queryset of deliveries, filtered at
    will) in ``DELIVERY_LIST_COLUMNS`` order, in one query.

    The ORM compiles only which deliveries, in which order (``window`` reduced to its
    primary keys, as a subquery); the thirty columns and two joins around it are a
    statement built once (``_list_statement``): compiling them on every request cost
    more than running the query.
    """
    using = window.db
    select, columns, converters = _list_statement(using)
    try:
        ids, params = window.values("pk").query.get_compiler(using).as_sql()
    except EmptyResultSet:  # a filter no row can match
        return []
    flip = not window.query.standard_ordering
    order = ", ".join(
        f"{columns[name.lstrip('-')]} {'DESC' if name.startswith('-') != flip else 'ASC'}"
        for name in window.query.order_by
    )
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(f"{select} WHERE {columns['pk']} IN ({ids}) ORDER BY {order}", params)
        rows = cursor.fetchall()
    return convert_rows(rows, converters, connection)


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
