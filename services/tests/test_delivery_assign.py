from decimal import Decimal

import pytest
from django.utils import timezone

from deliveries.models import Delivery, DeliveryStatus
from deliveries.tests.factories import DeliveryFactory
from fleet.models import MaintenanceRecord, Vehicle, VehicleStatus
from fleet.tests.factories import VehicleFactory
from services.deliveries import delivery_assign
from services.exceptions import (
    DriverNotADriver,
    InvalidTransition,
    VehicleInMaintenance,
    VehicleOutOfService,
    VehicleOverCapacity,
)
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_assign_pending_delivery(vehicle, driver, dispatcher):
    delivery = DeliveryFactory()

    returned = delivery_assign(delivery=delivery, vehicle=vehicle, driver=driver, actor=dispatcher)

    delivery.refresh_from_db()
    assert returned.pk == delivery.pk
    assert delivery.status == DeliveryStatus.ASSIGNED
    assert delivery.vehicle == vehicle
    assert delivery.driver == driver
    event = delivery.events.get()
    assert (event.from_status, event.to_status) == (DeliveryStatus.PENDING, DeliveryStatus.ASSIGNED)
    assert event.actor == dispatcher
    assert event.at is not None


def test_assign_without_driver(vehicle, dispatcher):
    delivery = DeliveryFactory()

    delivery_assign(delivery=delivery, vehicle=vehicle, driver=None, actor=dispatcher)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.ASSIGNED
    assert delivery.vehicle == vehicle
    assert delivery.driver is None


def test_reassign_to_another_vehicle_and_driver(vehicle, driver, other_driver, dispatcher):
    delivery = DeliveryFactory()
    delivery_assign(delivery=delivery, vehicle=vehicle, driver=driver, actor=dispatcher)
    second_vehicle = VehicleFactory()

    delivery_assign(
        delivery=delivery, vehicle=second_vehicle, driver=other_driver, actor=dispatcher
    )

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.ASSIGNED
    assert delivery.vehicle == second_vehicle
    assert delivery.driver == other_driver
    events = list(delivery.events.values_list("from_status", "to_status", "actor"))
    assert events == [
        (DeliveryStatus.PENDING, DeliveryStatus.ASSIGNED, dispatcher.pk),
        (DeliveryStatus.ASSIGNED, DeliveryStatus.ASSIGNED, dispatcher.pk),
    ]


def test_assign_takes_the_vehicle_status_from_the_database(vehicle, driver, dispatcher):
    """A stale in-memory vehicle that still looks available does not slip through."""
    stale = VehicleFactory()
    MaintenanceRecord.objects.create(vehicle=stale, reason="Brakes", started_at=timezone.now())
    Vehicle.objects.filter(pk=stale.pk).update(status=VehicleStatus.IN_MAINTENANCE)
    delivery = DeliveryFactory()

    with pytest.raises(VehicleInMaintenance):
        delivery_assign(delivery=delivery, vehicle=stale, driver=driver, actor=dispatcher)


# Refusals -------------------------------------------------------------------------


def assert_refused(exc_info, error, attr, delivery, before, stored_state):
    assert exc_info.value.code == error.code
    assert exc_info.value.status_code == 400
    assert exc_info.value.attr == attr
    assert stored_state(delivery) == before


@pytest.mark.parametrize(
    ("trait", "error"),
    [("in_maintenance", VehicleInMaintenance), ("out_of_service", VehicleOutOfService)],
)
def test_vehicle_off_the_road_is_refused(trait, error, driver, dispatcher, stored_state):
    off_road = VehicleFactory(**{trait: True})
    delivery = DeliveryFactory()
    before = stored_state(delivery)

    with pytest.raises(error) as exc_info:
        delivery_assign(delivery=delivery, vehicle=off_road, driver=driver, actor=dispatcher)

    assert_refused(exc_info, error, "vehicle_id", delivery, before, stored_state)
    assert exc_info.value.detail == error.message.format(plate=off_road.plate_number)


def test_reassign_to_vehicle_in_maintenance_keeps_the_old_assignment(
    vehicle, driver, dispatcher, stored_state
):
    delivery = DeliveryFactory()
    delivery_assign(delivery=delivery, vehicle=vehicle, driver=driver, actor=dispatcher)
    before = stored_state(delivery)

    with pytest.raises(VehicleInMaintenance) as exc_info:
        delivery_assign(
            delivery=delivery,
            vehicle=VehicleFactory(in_maintenance=True),
            driver=driver,
            actor=dispatcher,
        )

    assert_refused(exc_info, VehicleInMaintenance, "vehicle_id", delivery, before, stored_state)
    assert stored_state(delivery)["vehicle_id"] == vehicle.pk


def load_vehicle(vehicle, *weights_by_trait):
    """Puts deliveries of the given ``(trait, weight)`` on ``vehicle``."""
    for trait, weight in weights_by_trait:
        DeliveryFactory(**{trait: True}, vehicle=vehicle, weight_kg=Decimal(weight))


def test_exactly_at_capacity_is_allowed(vehicle, driver, dispatcher):
    load_vehicle(vehicle, ("assigned", "60.00"), ("in_transit", "30.00"))
    delivery = DeliveryFactory(weight_kg=Decimal("10.00"))

    delivery_assign(delivery=delivery, vehicle=vehicle, driver=driver, actor=dispatcher)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.ASSIGNED
    assert delivery.vehicle == vehicle


@pytest.mark.parametrize(
    "load",
    [
        [("assigned", "90.00")],
        [("in_transit", "90.00")],
        [("assigned", "60.00"), ("in_transit", "30.00")],
    ],
)
def test_one_hundredth_of_a_kilo_over_capacity_is_refused(
    load, vehicle, driver, dispatcher, stored_state
):
    load_vehicle(vehicle, *load)
    delivery = DeliveryFactory(weight_kg=Decimal("10.01"))
    before = stored_state(delivery)

    with pytest.raises(VehicleOverCapacity) as exc_info:
        delivery_assign(delivery=delivery, vehicle=vehicle, driver=driver, actor=dispatcher)

    assert_refused(exc_info, VehicleOverCapacity, "vehicle_id", delivery, before, stored_state)


def test_a_delivery_heavier_than_the_empty_vehicle_is_refused(
    vehicle, driver, dispatcher, stored_state
):
    delivery = DeliveryFactory(weight_kg=Decimal("100.01"))
    before = stored_state(delivery)

    with pytest.raises(VehicleOverCapacity) as exc_info:
        delivery_assign(delivery=delivery, vehicle=vehicle, driver=driver, actor=dispatcher)

    assert_refused(exc_info, VehicleOverCapacity, "vehicle_id", delivery, before, stored_state)


@pytest.mark.parametrize("trait", ["delivered", "failed", "cancelled"])
def test_finished_deliveries_do_not_weigh_on_the_vehicle(trait, vehicle, driver, dispatcher):
    load_vehicle(vehicle, (trait, "95.00"), ("assigned", "50.00"))
    delivery = DeliveryFactory(weight_kg=Decimal("50.00"))

    delivery_assign(delivery=delivery, vehicle=vehicle, driver=driver, actor=dispatcher)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.ASSIGNED


def test_deliveries_on_other_vehicles_do_not_weigh(vehicle, driver, dispatcher):
    load_vehicle(VehicleFactory(), ("assigned", "90.00"))
    delivery = DeliveryFactory(weight_kg=Decimal("100.00"))

    delivery_assign(delivery=delivery, vehicle=vehicle, driver=driver, actor=dispatcher)

    delivery.refresh_from_db()
    assert delivery.vehicle == vehicle


def test_reassigning_to_the_same_vehicle_counts_the_delivery_once(
    vehicle, driver, other_driver, dispatcher
):
    load_vehicle(vehicle, ("assigned", "40.00"))
    delivery = DeliveryFactory(weight_kg=Decimal("60.00"))
    delivery_assign(delivery=delivery, vehicle=vehicle, driver=driver, actor=dispatcher)

    delivery_assign(delivery=delivery, vehicle=vehicle, driver=other_driver, actor=dispatcher)

    delivery.refresh_from_db()
    assert delivery.vehicle == vehicle
    assert delivery.driver == other_driver
    assert delivery.events.count() == 2


@pytest.mark.parametrize(
    "traits",
    [{"dispatcher": True}, {"admin": True}, {"inactive": True}],
    ids=["dispatcher", "admin", "inactive-driver"],
)
def test_driver_must_be_an_active_driver(traits, vehicle, dispatcher, stored_state):
    not_a_driver = UserFactory(**traits)
    delivery = DeliveryFactory()
    before = stored_state(delivery)

    with pytest.raises(DriverNotADriver) as exc_info:
        delivery_assign(delivery=delivery, vehicle=vehicle, driver=not_a_driver, actor=dispatcher)

    assert_refused(exc_info, DriverNotADriver, "driver_id", delivery, before, stored_state)
    assert exc_info.value.detail == DriverNotADriver.message.format(username=not_a_driver.username)


@pytest.mark.parametrize("trait", ["in_transit", "delivered", "failed", "cancelled"])
def test_only_pending_or_assigned_deliveries_can_be_assigned(
    trait, vehicle, driver, dispatcher, stored_state
):
    delivery = DeliveryFactory(**{trait: True})
    before = stored_state(delivery)

    with pytest.raises(InvalidTransition) as exc_info:
        delivery_assign(delivery=delivery, vehicle=vehicle, driver=driver, actor=dispatcher)

    assert exc_info.value.code == InvalidTransition.code
    assert exc_info.value.status_code == 409
    assert exc_info.value.detail == InvalidTransition.message.format(
        from_status=trait, to_status=DeliveryStatus.ASSIGNED
    )
    assert stored_state(delivery) == before


def test_status_is_read_from_the_database_not_the_instance(vehicle, driver, dispatcher):
    delivery = DeliveryFactory(in_transit=True)
    stale = Delivery.objects.get(pk=delivery.pk)
    stale.status = DeliveryStatus.PENDING

    with pytest.raises(InvalidTransition):
        delivery_assign(delivery=stale, vehicle=vehicle, driver=driver, actor=dispatcher)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.IN_TRANSIT
