from django.db.models import QuerySet

from fleet.models import MaintenanceRecord, Vehicle


def vehicle_list() -> QuerySet[Vehicle]:
    return Vehicle.objects.order_by("plate_number")


def maintenance_record_list(*, vehicle: Vehicle) -> QuerySet[MaintenanceRecord]:
    return vehicle.maintenance_records.select_related("started_by", "ended_by").order_by(
        "-started_at", "-id"
    )
