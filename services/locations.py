"""Where the drivers are: their devices' positions, the retention purge, and the ETA of
a delivery in transit.

Points are only ever inserted (one statement per batch) and deleted by the purge; no
row is locked.
"""

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from haversine import haversine

from deliveries.models import Delivery, DeliveryStatus
from deliveries.selectors import driver_vehicle_id
from fleet.models import Vehicle
from locations.models import LocationPoint
from locations.selectors import (
    location_latest_of_driver,
    location_latest_of_vehicle,
    location_recent,
)
from services.exceptions import EtaUnavailable, NoLocation
from users.models import User

PURGE_BATCH = 10_000
# The driver's speed is their average over this long before their latest point, read
# from at most RECENT_POINTS points (one every 3 s).
SPEED_WINDOW = dt.timedelta(minutes=15)
RECENT_POINTS = 300

RECENT_SPEED = "recent_speed"
MINIMUM_SPEED = "minimum_speed"
DEFAULT_SPEED = "default_speed"

NOT_IN_TRANSIT = "the delivery is {status}; an ETA is given while it is in transit."
NO_DESTINATION = "the delivery has no destination coordinates (destination_lat, destination_lng)."
NO_DRIVER = "the delivery has no driver."
NO_POSITION = "its driver has sent no position yet."


@transaction.atomic
def location_points_record(*, driver: User, points: Sequence[Mapping[str, Any]]) -> int:
    """Stores ``points`` (validated: ``lat``, ``lng``, ``recorded_at`` and optionally
    ``accuracy_m``, ``speed_kmh``, ``heading``) in their order, with one ``INSERT``, each
    with the vehicle of the driver's active delivery now. Returns how many."""
    vehicle_id = driver_vehicle_id(driver=driver)
    received_at = timezone.now()
    LocationPoint.objects.bulk_create(
        [
            LocationPoint(driver=driver, vehicle_id=vehicle_id, received_at=received_at, **point)
            for point in points
        ]
    )
    return len(points)


def location_purge(*, now: dt.datetime | None = None, batch_size: int = PURGE_BATCH) -> int:
    """Deletes the points recorded more than ``LOCATION_RETENTION_DAYS`` ago, at most
    ``batch_size`` per statement, each statement its own transaction (short locks, no
    long-running delete). Returns how many."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.LOCATION_RETENTION_DAYS)
    deleted = 0
    while True:
        batch = list(
            LocationPoint.objects.filter(recorded_at__lt=cutoff).values_list("pk", flat=True)[
                :batch_size
            ]
        )
        if batch:
            deleted += LocationPoint.objects.filter(pk__in=batch).delete()[0]
        if len(batch) < batch_size:
            return deleted


@dataclass(frozen=True)
class LastKnown:
    lat: float
    lng: float
    recorded_at: dt.datetime
    age_s: int


def location_last_known(*, driver: User | None = None, vehicle: Vehicle | None = None) -> LastKnown:
    """The latest position of ``driver`` or of ``vehicle`` with its age in whole seconds
    (never below 0); ``NoLocation`` (404) when none is known."""
    if driver is not None:
        point = location_latest_of_driver(driver_id=driver.pk)
    else:
        assert vehicle is not None  # noqa: S101 - one of the two is given
        point = location_latest_of_vehicle(vehicle_id=vehicle.pk)
    if point is None:
        raise NoLocation(what="driver" if driver is not None else "vehicle")
    age = (timezone.now() - point.recorded_at).total_seconds()
    return LastKnown(point.lat, point.lng, point.recorded_at, max(0, int(age)))


@dataclass(frozen=True)
class Eta:
    eta: dt.datetime
    distance_km: float
    speed_kmh: float
    method: str
    based_on: LocationPoint


def _recent_average_kmh(points: list[LocationPoint]) -> float | None:
    """The average speed over ``points`` (newest first): of the speeds the device
    reported, or else of the distance between the points over the time it took."""
    reported = [point.speed_kmh for point in points if point.speed_kmh is not None]
    if reported:
        return fmean(reported)
    hours = (points[0].recorded_at - points[-1].recorded_at).total_seconds() / 3600
    if hours <= 0:
        return None
    km = sum(
        haversine((a.lat, a.lng), (b.lat, b.lng)) for a, b in zip(points, points[1:], strict=False)
    )
    return km / hours


def _speed(points: list[LocationPoint]) -> tuple[float, str]:
    """The speed to assume (km/h) and which it is."""
    since = points[0].recorded_at - SPEED_WINDOW
    average = _recent_average_kmh([point for point in points if point.recorded_at >= since])
    if average is None:
        return settings.ETA_DEFAULT_SPEED_KMH, DEFAULT_SPEED
    if average < settings.ETA_MIN_SPEED_KMH:
        return settings.ETA_MIN_SPEED_KMH, MINIMUM_SPEED
    return average, RECENT_SPEED


def delivery_eta(*, delivery: Delivery, now: dt.datetime | None = None) -> Eta:
    """When the delivery should arrive: the straight-line distance from its driver's
    latest position to its destination at the driver's recent speed, from the time of
    that position (never before ``now``). Raises ``EtaUnavailable`` unless the delivery
    is in transit, has a destination and its driver a known position."""
    if delivery.status != DeliveryStatus.IN_TRANSIT:
        raise EtaUnavailable(reason=NOT_IN_TRANSIT.format(status=delivery.status))
    if delivery.destination_lat is None or delivery.destination_lng is None:
        raise EtaUnavailable(reason=NO_DESTINATION)
    if delivery.driver_id is None:
        raise EtaUnavailable(reason=NO_DRIVER)
    points = location_recent(driver_id=delivery.driver_id, limit=RECENT_POINTS)
    if not points:
        raise EtaUnavailable(reason=NO_POSITION)
    latest = points[0]
    distance = haversine(
        (latest.lat, latest.lng), (delivery.destination_lat, delivery.destination_lng)
    )
    speed, method = _speed(points)
    arrival = latest.recorded_at + dt.timedelta(hours=distance / speed)
    return Eta(
        eta=max(arrival, now or timezone.now()),
        distance_km=round(distance, 2),
        speed_kmh=round(speed, 1),
        method=method,
        based_on=latest,
    )


def delivery_eta_time(*, delivery: Delivery) -> dt.datetime | None:
    """``delivery_eta``'s time alone, for the public (no position, no distance); ``None``
    where there is no ETA."""
    try:
        return delivery_eta(delivery=delivery).eta
    except EtaUnavailable:
        return None
