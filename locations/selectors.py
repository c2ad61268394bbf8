from django.db.models import QuerySet

from locations.models import LocationPoint


def _latest(points: QuerySet[LocationPoint]) -> LocationPoint | None:
    return points.only("lat", "lng", "recorded_at").order_by("-recorded_at", "-id").first()


def location_latest_of_driver(*, driver_id: int) -> LocationPoint | None:
    """The driver's latest point (by ``recorded_at``), or ``None``: one probe of
    ``location_driver_latest_idx``."""
    return _latest(LocationPoint.objects.filter(driver_id=driver_id))


def location_latest_of_vehicle(*, vehicle_id: int) -> LocationPoint | None:
    """The vehicle's latest point, or ``None``: one probe of ``location_vehicle_latest_idx``."""
    return _latest(LocationPoint.objects.filter(vehicle_id=vehicle_id))


def location_recent(*, driver_id: int, limit: int) -> list[LocationPoint]:
    """The driver's latest ``limit`` points, newest first."""
    return list(
        LocationPoint.objects.filter(driver_id=driver_id)
        .only("lat", "lng", "recorded_at", "speed_kmh")
        .order_by("-recorded_at", "-id")[:limit]
    )
