import pytest
from django.core.management import CommandError, call_command

from deliveries.models import DeliveryEvent, DeliveryStatus
from deliveries.tests.factories import DeliveryFactory
from fleet.tests.factories import VehicleFactory
from services.exceptions import DriverNotADriver, VehicleInMaintenance, VehicleOverCapacity

pytestmark = pytest.mark.django_db


def test_assigns_through_the_rules(driver, dispatcher):
    delivery = DeliveryFactory()
    vehicle = VehicleFactory(plate_number="CMD001")

    call_command(
        "assign_delivery",
        delivery.tracking_code,
        "cmd 001",
        driver=driver.username,
        actor=dispatcher.username,
    )

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.ASSIGNED
    assert (delivery.vehicle, delivery.driver) == (vehicle, driver)
    assert DeliveryEvent.objects.filter(
        delivery=delivery, to_status=DeliveryStatus.ASSIGNED, actor=dispatcher
    ).exists()


@pytest.mark.parametrize(
    ("vehicle_kwargs", "weight", "error"),
    [
        ({"in_maintenance": True}, "10.00", VehicleInMaintenance),
        ({"capacity_kg": "5.00"}, "10.00", VehicleOverCapacity),
    ],
)
def test_refuses_what_the_service_refuses(vehicle_kwargs, weight, error):
    delivery = DeliveryFactory(weight_kg=weight)
    vehicle = VehicleFactory(**vehicle_kwargs)

    with pytest.raises(CommandError, match=error.code):
        call_command("assign_delivery", delivery.tracking_code, vehicle.plate_number)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.vehicle is None


def test_refuses_a_driver_who_is_not_a_driver(dispatcher):
    delivery = DeliveryFactory()
    vehicle = VehicleFactory()

    with pytest.raises(CommandError, match=DriverNotADriver.code):
        call_command(
            "assign_delivery", delivery.tracking_code, vehicle.plate_number, driver="dispatcher"
        )


def test_unknown_vehicle_is_a_clear_error():
    delivery = DeliveryFactory()
    with pytest.raises(CommandError, match="No vehicle"):
        call_command("assign_delivery", delivery.tracking_code, "NOPE99")
