"""Deliveries: creation, edits, assignment, every status move, and marking late ones.

Every write here is one transaction that re-reads its rows under their locks, in the
order of ``services.common``: the delivery, then the vehicle, then the driver. A failed
rule leaves nothing behind.
"""

import datetime as dt
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from deliveries.models import (
    DELIVERY_EDITABLE_FIELDS,
    Delivery,
    DeliveryEvent,
    DeliveryStatus,
    EventKind,
    overdue_q,
)
from deliveries.selectors import delivery_proofs_missing, delivery_rendered, vehicle_load_kg
from fleet.models import Vehicle, VehicleStatus
from logitrack import cache
from services.common import database_rules, lock, model_update
from services.exceptions import (
    DeliveryNotDeletable,
    DeliveryNotEditable,
    DestinationIncomplete,
    DriverNotADriver,
    InvalidTimeWindow,
    InvalidTransition,
    ProofRequired,
    VehicleInMaintenance,
    VehicleOutOfService,
    VehicleOverCapacity,
    VehicleRequired,
)
from services.notifications import notification_enqueue
from services.webhooks import webhook_emit
from users.models import Role, User
from webhooks.models import EventType

S = DeliveryStatus
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.ASSIGNED, S.CANCELLED}),
    S.ASSIGNED: frozenset({S.ASSIGNED, S.IN_TRANSIT, S.CANCELLED, S.PENDING}),
    S.IN_TRANSIT: frozenset({S.DELIVERED, S.FAILED}),
    S.DELIVERED: frozenset(),
    S.FAILED: frozenset(),
    S.CANCELLED: frozenset(),
}
EDITABLE_STATUSES = (S.PENDING, S.ASSIGNED)
DELETABLE_STATUSES = (S.PENDING, S.CANCELLED)

# Marks an argument the caller did not pass (``None`` means "clear it").
UNSET: Any = object()


def _check_transition(delivery: Delivery, to_status: str) -> None:
    if to_status not in ALLOWED_TRANSITIONS[delivery.status]:
        raise InvalidTransition(from_status=delivery.status, to_status=to_status)


def _record_event(
    *, delivery: Delivery, from_status: str, actor: User | None, note: str = ""
) -> DeliveryEvent:
    """Appends the status change and emits its webhook (``delivery.created``, or
    ``delivery.status_changed`` when the status moved); after commit its e-mail is
    enqueued and the cached stats are invalidated."""
    event = DeliveryEvent.objects.create(
        delivery=delivery,
        from_status=from_status,
        to_status=delivery.status,
        at=timezone.now(),
        actor=actor,
        note=note,
    )
    notification_enqueue(event=event)
    cache.bump(cache.STATS, cache.DELIVERIES)
    to_status = delivery.status
    if not from_status:
        webhook_emit(
            event_type=EventType.DELIVERY_CREATED, data=lambda: delivery_rendered(delivery.pk)
        )
    elif from_status != to_status:
        webhook_emit(
            event_type=EventType.DELIVERY_STATUS_CHANGED,
            data=lambda: {
                **delivery_rendered(delivery.pk),
                "from_status": from_status,
                "to_status": to_status,
            },
        )
    return event


def _check_destination(*, lat: float | None, lng: float | None) -> None:
    """Both coordinates of the destination, or neither."""
    if (lat is None) != (lng is None):
        missing = "destination_lat" if lat is None else "destination_lng"
        raise DestinationIncomplete(attr=missing)


def _check_window(*, start: dt.datetime | None, end: dt.datetime | None) -> None:
    """A time window has both ends, the end after the start, or neither."""
    if start is None and end is not None:
        raise InvalidTimeWindow(attr="window_start")
    if end is None and start is not None:
        raise InvalidTimeWindow(attr="window_end")
    if start is not None and end is not None and end <= start:
        raise InvalidTimeWindow(attr="window_end")


def _check_assignment(*, delivery: Delivery, vehicle: Vehicle, driver: User | None) -> None:
    """The assignment rules; ``vehicle`` and ``driver`` must be fresh from their row locks."""
    if vehicle.status == VehicleStatus.IN_MAINTENANCE:
        raise VehicleInMaintenance(plate=vehicle.plate_number, attr="vehicle_id")
    if vehicle.status == VehicleStatus.OUT_OF_SERVICE:
        raise VehicleOutOfService(plate=vehicle.plate_number, attr="vehicle_id")
    load = vehicle_load_kg(vehicle=vehicle, excluding=delivery)
    if load + delivery.weight_kg > vehicle.capacity_kg:
        raise VehicleOverCapacity(
            plate=vehicle.plate_number,
            capacity=vehicle.capacity_kg,
            load=load,
            weight=delivery.weight_kg,
            attr="vehicle_id",
        )
    if driver is not None and (driver.role != Role.DRIVER or not driver.is_active):
        raise DriverNotADriver(username=driver.username, attr="driver_id")


@transaction.atomic
def delivery_assign(
    *,
    delivery: Delivery,
    vehicle: Vehicle,
    driver: User | None = UNSET,
    actor: User | None,
    note: str = "",
) -> Delivery:
    """Assigns (or reassigns) a ``pending``/``assigned`` delivery to a vehicle and driver
    (``driver`` left out: the driver it has; ``None``: no driver).

    Locks the delivery, then the vehicle, then the driver, and checks the assignment
    rules against those fresh rows, so a concurrent start of maintenance, capacity
    change, deactivation or demotion either sees this delivery or is seen by it.
    Returns the fresh delivery.
    """
    locked = lock(delivery)
    _check_transition(locked, S.ASSIGNED)
    locked_vehicle = lock(vehicle)
    if driver is UNSET:
        driver = locked.driver
    locked_driver = None if driver is None else lock(driver)
    _check_assignment(delivery=locked, vehicle=locked_vehicle, driver=locked_driver)
    from_status = locked.status
    locked.vehicle = locked_vehicle
    locked.driver = locked_driver
    locked.status = S.ASSIGNED
    with database_rules(plate=locked_vehicle.plate_number, attr="vehicle_id"):
        locked.save(update_fields=["vehicle", "driver", "status", "updated_at"])
    _record_event(
        delivery=locked,
        from_status=from_status,
        actor=actor,
        note=note
        or f"Assigned to {locked_vehicle.plate_number}"
        + (f" with {locked_driver.username}" if locked_driver else ""),
    )
    return locked


@transaction.atomic
def delivery_create(
    *,
    actor: User | None,
    vehicle: Vehicle | None = None,
    driver: User | None = None,
    **fields: Any,
) -> Delivery:
    """Creates a ``pending`` delivery (one event); with a vehicle it is then assigned."""
    if vehicle is None and driver is not None:
        raise VehicleRequired(attr="vehicle_id")
    _check_destination(lat=fields.get("destination_lat"), lng=fields.get("destination_lng"))
    _check_window(start=fields.get("window_start"), end=fields.get("window_end"))
    delivery = Delivery(
        **{name: fields[name] for name in DELIVERY_EDITABLE_FIELDS if name in fields}
    )
    # The table's CHECK constraints hold what this service sets itself (a pending
    # delivery, no vehicle yet); PostgreSQL enforces them on insert, and checking them
    # here as well would cost three round trips each.
    delivery.full_clean(validate_constraints=False)
    delivery.save()
    _record_event(delivery=delivery, from_status="", actor=actor, note="Created")
    cache.bump(cache.DELIVERY_TOTAL)
    if vehicle is not None:
        delivery = delivery_assign(delivery=delivery, vehicle=vehicle, driver=driver, actor=actor)
    return delivery


@transaction.atomic
def delivery_update(
    *,
    delivery: Delivery,
    actor: User | None,
    vehicle: Vehicle | None = UNSET,
    driver: User | None = UNSET,
    **fields: Any,
) -> Delivery:
    """Edits a ``pending``/``assigned`` delivery.

    Passing ``vehicle`` assigns through ``delivery_assign`` (``None`` unassigns); a new
    weight on an assigned delivery is checked against its vehicle's capacity again.
    Locks the delivery row, then (when assigning) the vehicle row.
    """
    locked = lock(delivery)
    if locked.status not in EDITABLE_STATUSES:
        raise DeliveryNotEditable(status=locked.status)
    _check_destination(
        lat=fields.get("destination_lat", locked.destination_lat),
        lng=fields.get("destination_lng", locked.destination_lng),
    )
    _check_window(
        start=fields.get("window_start", locked.window_start),
        end=fields.get("window_end", locked.window_end),
    )
    changed = model_update(instance=locked, fields=DELIVERY_EDITABLE_FIELDS, data=fields)
    if changed:
        cache.bump(cache.STATS, cache.DELIVERIES)

    if vehicle is UNSET and driver is UNSET:
        if locked.status == S.ASSIGNED and "weight_kg" in changed:
            # Same assignment, new weight: the rules are checked again, no status event.
            assert locked.vehicle is not None  # noqa: S101 - an assigned delivery has one
            _check_assignment(
                delivery=locked,
                vehicle=lock(locked.vehicle),
                driver=None if locked.driver is None else lock(locked.driver),
            )
        return locked
    if vehicle is None:
        if driver not in (UNSET, None):
            raise VehicleRequired(attr="vehicle_id")
        return (
            delivery_unassign(delivery=locked, actor=actor)
            if locked.status == S.ASSIGNED
            else locked
        )
    target_vehicle = locked.vehicle if vehicle is UNSET else vehicle
    if target_vehicle is None:
        raise VehicleRequired(attr="vehicle_id")
    target_driver = locked.driver if driver is UNSET else driver
    return delivery_assign(
        delivery=locked, vehicle=target_vehicle, driver=target_driver, actor=actor
    )


@transaction.atomic
def delivery_delete(*, delivery: Delivery, actor: User | None) -> None:
    """Deletes a ``pending`` or ``cancelled`` delivery with its history; otherwise ``409``."""
    locked = lock(delivery)
    if locked.status not in DELETABLE_STATUSES:
        raise DeliveryNotDeletable(status=locked.status)
    locked.delete()
    cache.bump(cache.STATS, cache.DELIVERIES, cache.DELIVERY_TOTAL)


def _move(
    *,
    delivery: Delivery,
    to_status: str,
    actor: User | None,
    note: str = "",
    check: Callable[[Delivery], None] | None = None,
    **changes: Any,
) -> Delivery:
    """Moves the locked delivery to ``to_status`` once the transition and ``check`` (given
    the locked row) allow it."""
    locked = lock(delivery)
    _check_transition(locked, to_status)
    if check is not None:
        check(locked)
    from_status = locked.status
    locked.status = to_status
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.save(update_fields=["status", "updated_at", *changes])
    _record_event(delivery=locked, from_status=from_status, actor=actor, note=note)
    return locked


@transaction.atomic
def delivery_unassign(*, delivery: Delivery, actor: User | None) -> Delivery:
    """``assigned`` → ``pending``; vehicle and driver are cleared. Locks the delivery."""
    return _move(
        delivery=delivery,
        to_status=S.PENDING,
        actor=actor,
        note="Unassigned",
        vehicle=None,
        driver=None,
    )


@transaction.atomic
def delivery_start(*, delivery: Delivery, actor: User | None) -> Delivery:
    """``assigned`` → ``in_transit``. Locks the delivery."""
    return _move(delivery=delivery, to_status=S.IN_TRANSIT, actor=actor)


def _check_proofs(delivery: Delivery) -> None:
    missing = delivery_proofs_missing(delivery=delivery)
    if missing:
        raise ProofRequired(
            kinds=", ".join(missing), attr="proof_required", extra={"missing": missing}
        )


@transaction.atomic
def delivery_complete(*, delivery: Delivery, actor: User | None) -> Delivery:
    """``in_transit`` → ``delivered`` with ``delivered_at`` set; ``400 proof_required``
    (``missing``: the kinds) while a kind of ``proof_required`` has no proof on record.
    Delivered past its deadline before the late sweep saw it, it is marked late too.
    Locks the delivery, so a proof added meanwhile is seen."""
    now = timezone.now()
    locked = _move(
        delivery=delivery, to_status=S.DELIVERED, actor=actor, check=_check_proofs, delivered_at=now
    )
    if locked.late_marked_at is None and now > locked.deadline:
        _mark_late([locked], now=now)
    return locked


@transaction.atomic
def delivery_fail(*, delivery: Delivery, reason: str, actor: User | None) -> Delivery:
    """``in_transit`` → ``failed``; the reason is kept on the delivery. Locks the delivery."""
    return _move(
        delivery=delivery, to_status=S.FAILED, actor=actor, note=reason, failure_reason=reason
    )


@transaction.atomic
def delivery_cancel(*, delivery: Delivery, reason: str, actor: User | None) -> Delivery:
    """``pending``/``assigned`` → ``cancelled``. Locks the delivery."""
    return _move(delivery=delivery, to_status=S.CANCELLED, actor=actor, note=reason)


# Late deliveries -------------------------------------------------------------------

LATE_NOTE = "Past its deadline"
LATE_SWEEP_BATCH = 500


def _mark_late(deliveries: Sequence[Delivery], *, now: dt.datetime) -> None:
    """Gives each of ``deliveries`` (locked, not yet marked) its one ``late`` event and
    its ``delivery.late`` webhook. The event keeps the status the delivery has, and
    needs no e-mail."""
    DeliveryEvent.objects.bulk_create(
        DeliveryEvent(
            delivery=delivery,
            kind=EventKind.LATE,
            from_status=delivery.status,
            to_status=delivery.status,
            at=now,
            note=LATE_NOTE,
            notified_at=now,
        )
        for delivery in deliveries
    )
    Delivery.objects.filter(pk__in=[delivery.pk for delivery in deliveries]).update(
        late_marked_at=now
    )
    for delivery in deliveries:
        webhook_emit(
            event_type=EventType.DELIVERY_LATE, data=partial(delivery_rendered, delivery.pk)
        )
    cache.bump(cache.DELIVERIES)


@transaction.atomic
def _late_batch_mark(*, now: dt.datetime) -> int:
    due = list(
        Delivery.objects.select_for_update(skip_locked=True)
        .filter(overdue_q(now), late_marked_at__isnull=True)
        .order_by("deadline")
        .only("pk", "status")[:LATE_SWEEP_BATCH]
    )
    if due:
        _mark_late(due, now=now)
    return len(due)


def deliveries_mark_late() -> int:
    """Marks every delivery that is unfinished past its deadline and not marked yet:
    one ``late`` event and one ``delivery.late`` webhook each. Batches of
    ``LATE_SWEEP_BATCH``, each one transaction holding its rows' locks; rows another
    sweep or a status move holds are skipped (``SKIP LOCKED``) and left to it or to the
    next sweep. Returns how many it marked."""
    marked = 0
    while True:
        count = _late_batch_mark(now=timezone.now())
        marked += count
        if count < LATE_SWEEP_BATCH:
            return marked
