from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

from fleet.models import MaintenanceRecord, Vehicle
from logitrack import cache


def vehicle_list() -> QuerySet[Vehicle]:
    return Vehicle.objects.order_by("plate_number")


def maintenance_record_list(*, vehicle: Vehicle) -> QuerySet[MaintenanceRecord]:
    return vehicle.maintenance_records.select_related("started_by", "ended_by").order_by(
        "-started_at", "-id"
    )


def vehicle_read_cached(*, url: str, build: Callable[[], Any]) -> Any:
    """A vehicle list page or one vehicle as the API writes it (``build()``), served from
    the cache while no vehicle changed. Every signed-in user sees the same vehicles, so
    the URL alone is the key."""
    return cache.cached(cache.VEHICLES, url, build)
