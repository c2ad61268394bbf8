"""Vehicles and their maintenance.

Every write re-reads the vehicle under its row lock (``services.common.lock``; lock
order in ``services.common``). ``vehicle_start_maintenance``, ``vehicle_update`` and
``delivery_assign`` all lock the vehicle, so an assignment, a capacity change and the
start of maintenance on one vehicle never interleave.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone

from deliveries.models import ACTIVE_STATUSES
from deliveries.selectors import vehicle_load_kg
from fleet.models import VEHICLE_EDITABLE_FIELDS, MaintenanceRecord, Vehicle, VehicleStatus
from fleet.serializers import VehicleSerializer
from logitrack import cache
from services.common import lock, model_update
from services.exceptions import (
    VehicleAlreadyInMaintenance,
    VehicleCapacityBelowLoad,
    VehicleHasActiveDeliveries,
    VehicleHasDeliveries,
    VehicleNotInMaintenance,
)
from services.webhooks import webhook_emit
from users.models import User
from webhooks.models import EventType


def _invalidate() -> None:
    """Cached vehicle reads and stats are rebuilt after this transaction commits."""
    cache.bump(cache.VEHICLES, cache.STATS, cache.DELIVERIES)


def _emit(event_type: str, vehicle: Vehicle) -> None:
    webhook_emit(event_type=event_type, data=lambda: VehicleSerializer(vehicle).data)


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
    """Changes descriptive fields; ``status`` only moves through the maintenance services.

    Locks the vehicle and writes only the fields that changed. A capacity below the
    weight of its ``assigned``/``in_transit`` deliveries is
    ``409 vehicle_capacity_below_load``. Returns the fresh vehicle."""
    locked = lock(vehicle)
    capacity = fields.get("capacity_kg")
    if capacity is not None and capacity < locked.capacity_kg:
        load = vehicle_load_kg(vehicle=locked)
        if capacity < load:
            raise VehicleCapacityBelowLoad(plate=locked.plate_number, load=load, capacity=capacity)
    if model_update(instance=locked, fields=VEHICLE_EDITABLE_FIELDS, data=fields):
        _invalidate()
    return locked


@transaction.atomic
def vehicle_delete(*, vehicle: Vehicle, actor: User | None) -> None:
    """Deletes a vehicle that never carried a delivery; otherwise ``409``. Locks it, so
    no assignment slips in between the check and the deletion."""
    locked = lock(vehicle)
    if locked.deliveries.exists():
        raise VehicleHasDeliveries(plate=locked.plate_number)
    locked.delete()
    _invalidate()


def _take_off_road(
    *, vehicle: Vehicle, to_status: VehicleStatus, reason: str, actor: User | None
) -> Vehicle:
    locked = lock(vehicle)
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
    if to_status == VehicleStatus.IN_MAINTENANCE:
        _emit(EventType.VEHICLE_MAINTENANCE_STARTED, locked)
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
    locked = lock(vehicle)
    if locked.status != VehicleStatus.IN_MAINTENANCE:
        raise VehicleNotInMaintenance(plate=locked.plate_number)
    locked.maintenance_records.filter(ended_at__isnull=True).update(
        ended_at=timezone.now(), ended_by=actor
    )
    locked.status = VehicleStatus.AVAILABLE
    locked.save(update_fields=["status", "updated_at"])
    _invalidate()
    _emit(EventType.VEHICLE_MAINTENANCE_ENDED, locked)
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
    locked = lock(vehicle)
    if locked.status == VehicleStatus.OUT_OF_SERVICE:
        locked.status = VehicleStatus.AVAILABLE
        locked.save(update_fields=["status", "updated_at"])
        _invalidate()
    elif locked.status == VehicleStatus.IN_MAINTENANCE:
        raise VehicleAlreadyInMaintenance(plate=locked.plate_number)
    return locked
