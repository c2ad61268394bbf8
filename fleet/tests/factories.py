from decimal import Decimal

import factory
from django.db import transaction
from django.utils import timezone

from fleet.models import MaintenanceRecord, Vehicle, VehicleStatus, VehicleType


class VehicleFactory(factory.django.DjangoModelFactory[Vehicle]):
    """An available van; ``VehicleFactory(in_maintenance=True)`` / ``(out_of_service=True)``.

    Traits set the status directly, as a fixture (the services are what move it); a
    vehicle in maintenance gets its open maintenance record, as the database requires.
    """

    class Meta:
        model = Vehicle

    plate_number = factory.Sequence(lambda n: f"LT{n:05d}")
    make = "Ford"
    model = "Transit"
    year = 2022
    vehicle_type = VehicleType.VAN
    capacity_kg = Decimal("1000.00")
    status = VehicleStatus.AVAILABLE

    class Params:
        in_maintenance = factory.Trait(status=VehicleStatus.IN_MAINTENANCE)
        out_of_service = factory.Trait(status=VehicleStatus.OUT_OF_SERVICE)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with transaction.atomic():  # the database checks the pair when it commits
            vehicle = super()._create(model_class, *args, **kwargs)
            if vehicle.status == VehicleStatus.IN_MAINTENANCE:
                MaintenanceRecord.objects.create(
                    vehicle=vehicle, reason="Scheduled service", started_at=timezone.now()
                )
        return vehicle
