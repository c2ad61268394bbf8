from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Case, Count, Prefetch, QuerySet, Sum, When
from django.utils import timezone

from deliveries.models import (
    ACTIVE_STATUSES,
    DELIVERED_ON_TIME_Q,
    TRACKING_CODE,
    Delivery,
    DeliveryEvent,
    DeliveryProof,
    DeliveryStatus,
    Report,
)
from deliveries.rendering import COLUMNS, dumps, render_row, render_rows
from fleet.models import Vehicle, VehicleStatus
from logitrack import cache
from logitrack.memo import Memo, memoized
from logitrack.permissions import is_staff_user
from logitrack.sql import Converters, column_converters, convert_rows, read_as_text
from users.models import User

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


def driver_vehicle_id(*, driver: User) -> int | None:
    """The vehicle of the driver's delivery in transit, else of one assigned to them
    (the latest changed), or ``None``."""
    return (
        Delivery.objects.filter(driver=driver, status__in=ACTIVE_STATUSES)
        .order_by(Case(When(status=DeliveryStatus.IN_TRANSIT, then=0), default=1), "-updated_at")
        .values_list("vehicle_id", flat=True)
        .first()
    )


def delivery_event_list(*, delivery: Delivery) -> QuerySet[DeliveryEvent]:
    return delivery.events.select_related("actor").order_by("at", "id")


def delivery_proof_list(*, delivery: Delivery) -> QuerySet[DeliveryProof]:
    """The delivery's proofs, oldest first."""
    return DeliveryProof.objects.filter(delivery=delivery).order_by("captured_at", "id")


def delivery_proof_get(*, delivery: Delivery, proof_id: int) -> DeliveryProof | None:
    """One of the delivery's proofs (``None`` for another delivery's or an unknown id)."""
    return DeliveryProof.objects.filter(delivery=delivery, pk=proof_id).first()


def delivery_proofs_missing(*, delivery: Delivery) -> list[str]:
    """The kinds of ``delivery.proof_required`` with no proof on record, in that order;
    no query when it requires none."""
    if not delivery.proof_required:
        return []
    found = set(
        DeliveryProof.objects.filter(delivery=delivery)
        .order_by()
        .values_list("kind", flat=True)
        .distinct()
    )
    return [kind for kind in delivery.proof_required if kind not in found]


def delivery_get_public(*, tracking_code: str) -> Delivery | None:
    """The delivery behind a public tracking code, with its history; ``None`` for a code
    that cannot be one (not even looked up). Its destination's coordinates and its driver
    come along for the ETA (``services.locations.delivery_eta_time``), not to be shown."""
    tracking_code = tracking_code.strip().upper()
    if not TRACKING_CODE.fullmatch(tracking_code):
        return None
    return (
        Delivery.objects.filter(tracking_code=tracking_code)
        .only(
            "tracking_code",
            "status",
            "scheduled_for",
            "window_start",
            "window_end",
            "delivered_at",
            "destination_lat",
            "destination_lng",
            "driver",
        )
        .prefetch_related(
            Prefetch(
                "events",
                queryset=DeliveryEvent.objects.only(
                    "delivery_id", "kind", "to_status", "at"
                ).order_by("at", "id"),
            )
        )
        .first()
    )


def delivery_tracking_example(*, plate_prefix: str) -> str | None:
    """The tracking code of a delivery carried by a vehicle whose plate starts with
    ``plate_prefix`` (the demo fleet), to show as an example: one on the road if there is
    one, else the first created; ``None`` when there is none. Two indexed lookups."""
    carried = Delivery.objects.filter(
        vehicle__in=Vehicle.objects.filter(plate_number__startswith=plate_prefix)
    ).order_by("pk")
    for deliveries in (carried.filter(status=DeliveryStatus.IN_TRANSIT), carried):
        code = deliveries.values_list("tracking_code", flat=True).first()
        if code is not None:
            return code
    return None


def report_list(*, user: User) -> QuerySet[Report]:
    """Only the reports ``user`` asked for."""
    return Report.objects.filter(requested_by=user).order_by("-created_at", "-id")


def _stats_build() -> dict:
    deliveries = dict(Delivery.objects.order_by().values_list("status").annotate(n=Count("id")))
    vehicles = dict(Vehicle.objects.order_by().values_list("status").annotate(n=Count("id")))
    delivered = Delivery.objects.filter(status=DeliveryStatus.DELIVERED).aggregate(
        total=Count("id"), on_time=Count("id", filter=DELIVERED_ON_TIME_Q)
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
    """Counts by status and the on-time rate (delivered no later than the deadline), served
    from the cache; every write to deliveries or vehicles invalidates it after commit."""
    return cache.cached(cache.STATS, "all", _stats_build)


def _model_field(path: str):
    *relations, name = path.split("__")
    model: Any = Delivery
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.get_field(name).get_col(model._meta.db_table)


@memoized()
def _list_converters(alias: str) -> Converters:
    """The converters the database backend applies to ``rendering.COLUMNS``."""
    return column_converters(connections[alias], [_model_field(path) for path in COLUMNS])


# The SQL of list pages by the SQL of the same page reduced to its primary keys: the
# ORM compiles the thirty columns and two joins of a page in more CPU than PostgreSQL
# takes to run it, while the one-column form, which names every filter, join, order
# and limit of the page, compiles in a fraction of that.
_page_sql = Memo(limit=512, ttl=3600)


def delivery_list_rows(window: QuerySet[Delivery]) -> list:
    """The rows of ``window`` (an ordered, sliced queryset of deliveries, filtered at
    will) as ``rendering.COLUMNS``: the ORM's own query for
    ``window.values_list(*COLUMNS)``, compiled once per shape of page."""
    using = window.db
    try:
        key, params = window.values("pk").query.get_compiler(using).as_sql()
    except EmptyResultSet:  # a filter no row can match
        return []
    sql = _page_sql.get((using, key), None)
    if sql is None:
        query = window.values(*COLUMNS).query
        sql, page_params = query.get_compiler(using).as_sql()
        if tuple(page_params) != tuple(params) or query.values_select != COLUMNS:
            # Not the same statement with more columns: no shortcut for this one.
            return list(window.values_list(*COLUMNS))
        _page_sql.set((using, key), sql)
    connection = connections[using]
    with connection.cursor() as cursor:
        read_as_text(cursor)
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return convert_rows(rows, _list_converters(using), connection)


def delivery_rendered(pk: int) -> dict:
    """The delivery as the API writes it, read afresh as one row."""
    [row] = delivery_list_rows(Delivery.objects.filter(pk=pk)[:1])
    return render_row(row)


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


# Query parameters that choose a page, not which deliveries are counted.
PAGE_PARAMS = frozenset({"page", "page_size", "cursor", "ordering"})


def delivery_page(*, user: User, request, queryset: Callable[[], QuerySet], paginator) -> bytes:
    """The JSON of the page of deliveries ``request`` asks for, of those ``user`` may see.

    ``queryset()`` gives them filtered and ordered (it validates the filters, so it is
    called only when the page is built); ``paginator`` (a ``KeysetPagination``) cuts the
    page. The page is served from the cache while no delivery changed (``LIST_CACHE``),
    keyed by what the user may see and the full URL; the count by what the user may see
    and the filters, and the count of all deliveries outlives edits and moves.
    """
    visibility = delivery_visibility(user)
    filters = urlencode(
        sorted(
            (key, value)
            for key, values in request.query_params.lists()
            if key not in PAGE_PARAMS
            for value in values
        )
    )

    def build() -> bytes:
        deliveries = queryset()
        rows = paginator.paginate_rows(
            deliveries,
            request,
            count=lambda: delivery_count(
                queryset=deliveries,
                key=f"{visibility}?{filters}",
                everything=visibility == STAFF_VISIBILITY and not filters,
            ),
            fetch=lambda window: render_rows(delivery_list_rows(window)),
        )
        return dumps(paginator.response_body(rows))

    if not settings.LIST_CACHE:
        return build()
    key = f"page:{visibility}:{request.get_host()}{request.get_full_path()}"
    return cache.cached(cache.DELIVERIES, key, build)
