"""The demo fleet: ``DEMO0001..DEMOnnnn``, some in maintenance or out of service."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet, Sum

from deliveries.models import ACTIVE_STATUSES, Delivery
from demo.accounts import demo_driver_usernames
from demo.common import ProgressCallback, demo_random
from demo.vocabulary import MAINTENANCE_REASONS, VEHICLE_KINDS
from fleet.models import Vehicle, VehicleStatus
from services.fleet import vehicle_start_maintenance, vehicle_take_out_of_service
from users.models import Role, User

DEMO_PLATE_PREFIX = "DEMO"


def demo_plates(count: int) -> list[str]:
    return [f"{DEMO_PLATE_PREFIX}{n:04d}" for n in range(1, count + 1)]


def demo_vehicles() -> QuerySet[Vehicle]:
    """Every demo vehicle there is, whatever count the last run asked for."""
    return Vehicle.objects.filter(plate_number__regex=rf"^{DEMO_PLATE_PREFIX}[0-9]{{4,}}$")


def demo_vehicle_status(number: int) -> VehicleStatus:
    """Which state the ``number``-th demo vehicle (1-based) is put in when created."""
    if number % 10 == 4 or number % 25 == 7:
        return VehicleStatus.IN_MAINTENANCE
    if number % 20 == 9:
        return VehicleStatus.OUT_OF_SERVICE
    return VehicleStatus.AVAILABLE


def _vehicle_fields(number: int, plate: str) -> dict:
    rng = demo_random(f"vehicle:{number}")
    shares = [share for _, share, _, _ in VEHICLE_KINDS]
    vehicle_type, _, makes, (low, high) = rng.choices(VEHICLE_KINDS, weights=shares)[0]
    make, model = rng.choice(makes)
    step = 5 if high <= 200 else 50
    return {
        "plate_number": plate,
        "make": make,
        "model": model,
        "year": rng.randint(2012, 2025),
        "vehicle_type": vehicle_type,
        "capacity_kg": Decimal(rng.randrange(low, high + 1, step)),
    }


def _take_off_road(number: int, vehicle: Vehicle, actor: User) -> None:
    status = demo_vehicle_status(number)
    if status == VehicleStatus.IN_MAINTENANCE:
        reason = MAINTENANCE_REASONS[number % len(MAINTENANCE_REASONS)]
        vehicle_start_maintenance(vehicle=vehicle, reason=reason, actor=actor)
    elif status == VehicleStatus.OUT_OF_SERVICE:
        vehicle_take_out_of_service(vehicle=vehicle, actor=actor)


def ensure_vehicles(count: int, *, actor: User, on_progress: ProgressCallback | None) -> int:
    """Creates the missing demo vehicles; returns how many.

    Their fields are validated as ``vehicle_create`` validates them and they are written
    in bulk; those meant to be off the road then go there through ``services.fleet``.
    """
    plates = demo_plates(count)
    existing = set(
        Vehicle.objects.filter(plate_number__in=plates).values_list("plate_number", flat=True)
    )
    missing = [(n, plate) for n, plate in enumerate(plates, start=1) if plate not in existing]
    vehicles = []
    for number, plate in missing:
        vehicle = Vehicle(**_vehicle_fields(number, plate))
        # The plates are free (just looked up); the constraints are the database's to check.
        vehicle.full_clean(validate_unique=False, validate_constraints=False)
        vehicles.append(vehicle)
    Vehicle.objects.bulk_create(vehicles, batch_size=1_000)
    for done, ((number, _), vehicle) in enumerate(zip(missing, vehicles, strict=True), start=1):
        _take_off_road(number, vehicle, actor)
        if on_progress is not None:
            on_progress("vehicles", done, len(missing))
    return len(missing)


@dataclass(slots=True)
class Slot:
    """A demo vehicle as the planner sees it, with its regular driver; weights in
    hundredths of a kilogram."""

    pk: int
    plate: str
    capacity: int
    load: int
    available: bool
    driver_id: int | None
    driver_username: str


def _cents(value: Decimal) -> int:
    return int(value * 100)


def lock_fleet(vehicle_count: int, driver_count: int) -> list[Slot]:
    """Locks the demo vehicles, then the active demo drivers (each in primary-key order,
    ``SELECT … FOR UPDATE``), and reads the load each vehicle carries."""
    vehicles = list(
        Vehicle.objects.select_for_update()
        .filter(plate_number__in=demo_plates(vehicle_count))
        .order_by("pk")
    )
    drivers = list(
        User.objects.select_for_update()
        .filter(username__in=demo_driver_usernames(driver_count), role=Role.DRIVER, is_active=True)
        .order_by("pk")
    )
    loads = dict(
        Delivery.objects.filter(vehicle__in=vehicles, status__in=ACTIVE_STATUSES)
        .order_by()
        .values_list("vehicle")
        .annotate(total=Sum("weight_kg"))
    )
    slots = []
    for index, vehicle in enumerate(vehicles):
        # Each vehicle has a regular driver; drivers share vehicles when there are fewer.
        driver = drivers[index % len(drivers)] if drivers else None
        slots.append(
            Slot(
                pk=vehicle.pk,
                plate=vehicle.plate_number,
                capacity=_cents(vehicle.capacity_kg),
                load=_cents(loads.get(vehicle.pk) or Decimal(0)),
                available=vehicle.status == VehicleStatus.AVAILABLE,
                driver_id=driver.pk if driver else None,
                driver_username=driver.username if driver else "",
            )
        )
    return slots
