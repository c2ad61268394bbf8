"""Vehicles and their maintenance.

Lock order, shared with ``services.deliveries``: a delivery row first, then a vehicle
row. ``vehicle_start_maintenance`` and ``delivery_assign`` both lock the vehicle, so
an assignment and the start of maintenance on one vehicle never interleave.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone

from deliveries.models import ACTIVE_STATUSES
from fleet.models import MaintenanceRecord, Vehicle, VehicleStatus
from logitrack import cache
from services.exceptions import (
    VehicleAlreadyInMaintenance,
    VehicleHasActiveDeliveries,
    VehicleHasDeliveries,
    VehicleNotInMaintenance,
)
from users.models import User

VEHICLE_EDITABLE_FIELDS = ("plate_number", "make", "model", "year", "vehicle_type", "capacity_kg")


def _invalidate() -> None:
    """Cached vehicle reads and stats are rebuilt after this transaction commits."""
    cache.bump(cache.VEHICLES, cache.STATS, cache.DELIVERIES)


def lock_vehicle(vehicle: Vehicle) -> Vehicle:
    """Re-read ``vehicle`` under ``SELECT … FOR UPDATE``; the fresh row is returned."""
    return Vehicle.objects.select_for_update().get(pk=vehicle.pk)


def _active_tracking_codes(vehicle: Vehicle) -> list[str]:
    return list(
        vehicle.deliveries.filter(status__in=ACTIVE_STATUSES)
        .order_by("tracking_code")
        .values_list("tracking_code", flat=True)
    )


@transaction.atomic
def vehicle_create(*, actor: User | None, **fields: Any) -> Vehicle:
    vehicle = Vehicle(**{name: fields[name] for name in VEHICLE_EDITABLE_FIELDS if name in fields})
    vehicle.full_clean()
    vehicle.save()
    _invalidate()
    return vehicle


@transaction.atomic
def vehicle_update(*, vehicle: Vehicle, actor: User | None, **fields: Any) -> Vehicle:
    """Changes descriptive fields; ``status`` only moves through the maintenance services."""
    for name in VEHICLE_EDITABLE_FIELDS:
        if name in fields:
            setattr(vehicle, name, fields[name])
    vehicle.full_clean()
    vehicle.save()
    _invalidate()
    return vehicle


@transaction.atomic
def vehicle_delete(*, vehicle: Vehicle, actor: User | None) -> None:
    """Deletes a vehicle that never carried a delivery; otherwise ``409``."""
    if vehicle.deliveries.exists():
        raise VehicleHasDeliveries(plate=vehicle.plate_number)
    vehicle.delete()
    _invalidate()


def _take_off_road(
    *, vehicle: Vehicle, to_status: VehicleStatus, reason: str, actor: User | None
) -> Vehicle:
    locked = lock_vehicle(vehicle)
    if locked.status == VehicleStatus.IN_MAINTENANCE:
        raise VehicleAlreadyInMaintenance(plate=locked.plate_number)
    codes = _active_tracking_codes(locked)
    if codes:
        raise VehicleHasActiveDeliveries(
            plate=locked.plate_number, codes=", ".join(codes), extra={"tracking_codes": codes}
        )
    if to_status == VehicleStatus.IN_MAINTENANCE:
        MaintenanceRecord.objects.create(
            vehicle=locked, reason=reason, started_at=timezone.now(), started_by=actor
        )
    locked.status = to_status
    locked.save(update_fields=["status", "updated_at"])
    _invalidate()
    return locked


@transaction.atomic
def vehicle_start_maintenance(*, vehicle: Vehicle, reason: str, actor: User | None) -> Vehicle:
    """Sends the vehicle into maintenance and opens a ``MaintenanceRecord``.

    Locks the vehicle row, then checks that no delivery on it is ``assigned`` or
    ``in_transit`` (``409 vehicle_has_active_deliveries`` listing their codes).
    Returns the fresh vehicle.
    """
    return _take_off_road(
        vehicle=vehicle, to_status=VehicleStatus.IN_MAINTENANCE, reason=reason, actor=actor
    )


@transaction.atomic
def vehicle_end_maintenance(*, vehicle: Vehicle, actor: User | None) -> Vehicle:
    """Closes the open maintenance record and makes the vehicle ``available``.

    Locks the vehicle row; ``409 vehicle_not_in_maintenance`` if it is not in maintenance.
    """
    locked = lock_vehicle(vehicle)
    if locked.status != VehicleStatus.IN_MAINTENANCE:
        raise VehicleNotInMaintenance(plate=locked.plate_number)
    locked.maintenance_records.filter(ended_at__isnull=True).update(
        ended_at=timezone.now(), ended_by=actor
    )
    locked.status = VehicleStatus.AVAILABLE
    locked.save(update_fields=["status", "updated_at"])
    _invalidate()
    return locked


@transaction.atomic
def vehicle_take_out_of_service(*, vehicle: Vehicle, actor: User | None) -> Vehicle:
    """Retires a vehicle (same lock and active-delivery check as maintenance)."""
    return _take_off_road(
        vehicle=vehicle, to_status=VehicleStatus.OUT_OF_SERVICE, reason="", actor=actor
    )


@transaction.atomic
def vehicle_return_to_service(*, vehicle: Vehicle, actor: User | None) -> Vehicle:
    """Brings an out-of-service vehicle back; a vehicle in maintenance must end it instead."""
    locked = lock_vehicle(vehicle)
    if locked.status == VehicleStatus.OUT_OF_SERVICE:
        locked.status = VehicleStatus.AVAILABLE
        locked.save(update_fields=["status", "updated_at"])
        _invalidate()
    elif locked.status == VehicleStatus.IN_MAINTENANCE:
        raise VehicleAlreadyInMaintenance(plate=locked.plate_number)
    return locked
