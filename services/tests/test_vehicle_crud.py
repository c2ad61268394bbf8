from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from deliveries.tests.factories import DeliveryFactory
from fleet.models import Vehicle, VehicleStatus, VehicleType
from fleet.tests.factories import VehicleFactory
from services.exceptions import VehicleCapacityBelowLoad, VehicleHasDeliveries
from services.fleet import vehicle_create, vehicle_delete, vehicle_update

pytestmark = pytest.mark.django_db


def vehicle_fields(**overrides):
    return {
        "plate_number": "ab 12 cd",
        "make": "Mercedes",
        "model": "Sprinter",
        "year": 2021,
        "vehicle_type": VehicleType.VAN,
        "capacity_kg": Decimal("1200.00"),
        **overrides,
    }


def test_create_stores_a_normalised_plate(dispatcher):
    vehicle = vehicle_create(actor=dispatcher, **vehicle_fields())

    stored = Vehicle.objects.get(pk=vehicle.pk)
    assert stored.plate_number == "AB12CD"
    assert stored.status == VehicleStatus.AVAILABLE
    assert (stored.make, stored.model, stored.year) == ("Mercedes", "Sprinter", 2021)
    assert stored.capacity_kg == Decimal("1200.00")


@pytest.mark.parametrize("plate", ["AB12CD", "ab12cd", " a b 1 2 c d "])
def test_create_refuses_a_plate_taken_after_normalisation(plate, dispatcher):
    VehicleFactory(plate_number="AB12CD")

    with pytest.raises(ValidationError) as exc_info:
        vehicle_create(actor=dispatcher, **vehicle_fields(plate_number=plate))

    assert "plate_number" in exc_info.value.message_dict
    assert Vehicle.objects.count() == 1


def test_create_ignores_the_status(dispatcher):
    vehicle = vehicle_create(
        actor=dispatcher, status=VehicleStatus.IN_MAINTENANCE, **vehicle_fields()
    )

    assert Vehicle.objects.get(pk=vehicle.pk).status == VehicleStatus.AVAILABLE


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("capacity_kg", Decimal("0")),
        ("year", 1949),
        ("vehicle_type", "spaceship"),
        ("plate_number", ""),
    ],
)
def test_create_validates_the_fields(field, value, dispatcher):
    with pytest.raises(ValidationError) as exc_info:
        vehicle_create(actor=dispatcher, **vehicle_fields(**{field: value}))

    assert field in exc_info.value.message_dict
    assert not Vehicle.objects.exists()


def test_create_refuses_a_plate_of_only_spaces(dispatcher):
    with pytest.raises(ValidationError):
        vehicle_create(actor=dispatcher, **vehicle_fields(plate_number="   "))

    assert not Vehicle.objects.exists()


def test_update_normalises_the_plate(dispatcher):
    vehicle = VehicleFactory()

    vehicle_update(vehicle=vehicle, actor=dispatcher, plate_number="xy 99 zz", make="Renault")

    stored = Vehicle.objects.get(pk=vehicle.pk)
    assert stored.plate_number == "XY99ZZ"
    assert stored.make == "Renault"


def test_update_refuses_a_plate_taken_after_normalisation(dispatcher):
    VehicleFactory(plate_number="AB12CD")
    vehicle = VehicleFactory(plate_number="XY99ZZ")

    with pytest.raises(ValidationError) as exc_info:
        vehicle_update(vehicle=vehicle, actor=dispatcher, plate_number="ab 12 cd")

    assert "plate_number" in exc_info.value.message_dict
    assert Vehicle.objects.get(pk=vehicle.pk).plate_number == "XY99ZZ"


def test_update_may_keep_its_own_plate(dispatcher):
    vehicle = VehicleFactory(plate_number="AB12CD")

    vehicle_update(vehicle=vehicle, actor=dispatcher, plate_number="ab 12 cd", year=2020)

    stored = Vehicle.objects.get(pk=vehicle.pk)
    assert (stored.plate_number, stored.year) == ("AB12CD", 2020)


def test_update_does_not_move_the_status(dispatcher):
    vehicle = VehicleFactory()

    vehicle_update(vehicle=vehicle, actor=dispatcher, status=VehicleStatus.IN_MAINTENANCE)

    assert Vehicle.objects.get(pk=vehicle.pk).status == VehicleStatus.AVAILABLE


def test_delete_removes_a_vehicle_without_deliveries(dispatcher):
    vehicle = VehicleFactory()

    vehicle_delete(vehicle=vehicle, actor=dispatcher)

    assert not Vehicle.objects.filter(pk=vehicle.pk).exists()


@pytest.mark.parametrize("trait", ["assigned", "delivered", "cancelled"])
def test_delete_of_a_vehicle_with_deliveries_is_refused(trait, dispatcher):
    vehicle = VehicleFactory()
    DeliveryFactory(**{trait: True}, vehicle=vehicle)

    with pytest.raises(VehicleHasDeliveries) as exc_info:
        vehicle_delete(vehicle=vehicle, actor=dispatcher)

    assert exc_info.value.code == VehicleHasDeliveries.code
    assert exc_info.value.status_code == 409
    assert exc_info.value.detail == VehicleHasDeliveries.message.format(plate=vehicle.plate_number)
    assert Vehicle.objects.filter(pk=vehicle.pk).exists()


# The database refuses what the services would never write -------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"plate_number": "ab12cd"},
        {"plate_number": "AB 12"},
        {"plate_number": ""},
        {"capacity_kg": 0},
    ],
    ids=["lower-case-plate", "plate-with-space", "empty-plate", "zero-capacity"],
)
def test_database_refuses_a_broken_vehicle_row(changes):
    vehicle = VehicleFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Vehicle.objects.filter(pk=vehicle.pk).update(**changes)


# Capacity against the load it carries ----------------------------------------------


def _carrying(kg: str, *, capacity: str = "500.00"):
    delivery = DeliveryFactory.create(
        assigned=True, weight_kg=Decimal(kg), vehicle__capacity_kg=Decimal(capacity)
    )
    DeliveryFactory.create(delivered=True, vehicle=delivery.vehicle, weight_kg=Decimal("400.00"))
    return delivery.vehicle


def test_capacity_below_the_active_load_is_refused(dispatcher):
    vehicle = _carrying("123.00")

    with pytest.raises(VehicleCapacityBelowLoad) as refused:
        vehicle_update(vehicle=vehicle, actor=dispatcher, capacity_kg=Decimal("0.01"))

    assert refused.value.status_code == 409
    assert refused.value.detail == VehicleCapacityBelowLoad.message.format(
        plate=vehicle.plate_number, load="123.00", capacity="0.01"
    )
    assert Vehicle.objects.get(pk=vehicle.pk).capacity_kg == Decimal("500.00")


@pytest.mark.parametrize("capacity", ["123.00", "124.00", "900.00"])
def test_capacity_at_or_above_the_active_load_is_kept(dispatcher, capacity):
    """Finished deliveries weigh nothing on the vehicle any more."""
    vehicle = _carrying("123.00")

    vehicle_update(vehicle=vehicle, actor=dispatcher, capacity_kg=Decimal(capacity))

    assert Vehicle.objects.get(pk=vehicle.pk).capacity_kg == Decimal(capacity)


def test_an_edit_writes_only_what_it_changes(dispatcher):
    """An edit made from a stale copy of the vehicle (read before another change) writes
    the make and nothing else: the old values it carries are not written back."""
    vehicle = VehicleFactory(make="Ford")
    stale = Vehicle.objects.get(pk=vehicle.pk)
    Vehicle.objects.filter(pk=vehicle.pk).update(plate_number="OTHER1")

    updated = vehicle_update(vehicle=stale, actor=dispatcher, make="Renault")

    stored = Vehicle.objects.get(pk=vehicle.pk)
    assert (stored.make, stored.plate_number) == ("Renault", "OTHER1")
    assert updated.plate_number == "OTHER1"
