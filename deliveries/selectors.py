from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone

from deliveries.models import Delivery, DeliveryEvent, DeliveryStatus, Report
from fleet.models import Vehicle, VehicleStatus
from logitrack import cache
from logitrack.permissions import is_staff_user
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


# The columns of a delivery list row: the delivery, its vehicle and its driver, one join.
DELIVERY_LIST_COLUMNS = (
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
    *(f"vehicle__{name}" for name in VEHICLE_COLUMNS),
    *(f"driver__{name}" for name in DRIVER_COLUMNS),
)


def delivery_list_rows(queryset: QuerySet[Delivery]) -> QuerySet:
    """``queryset`` as plain rows (``.values()``): no model instances on the hot path."""
    return queryset.values(*DELIVERY_LIST_COLUMNS)


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
