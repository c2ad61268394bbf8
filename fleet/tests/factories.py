from decimal import Decimal

import factory

from fleet.models import Vehicle, VehicleStatus, VehicleType


class VehicleFactory(factory.django.DjangoModelFactory):
    """An available van; ``VehicleFactory(in_maintenance=True)`` / ``(out_of_service=True)``.

    Traits set the status directly, as a fixture; the services are what move it.
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
