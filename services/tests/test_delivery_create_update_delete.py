import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from deliveries.models import Delivery, DeliveryEvent, DeliveryStatus
from deliveries.tests.factories import DeliveryFactory
from fleet.tests.factories import VehicleFactory
from services.deliveries import (
    delivery_assign,
    delivery_cancel,
    delivery_create,
    delivery_delete,
    delivery_update,
)
from services.exceptions import (
    DeliveryNotDeletable,
    DeliveryNotEditable,
    DriverNotADriver,
    VehicleInMaintenance,
    VehicleOverCapacity,
    VehicleRequired,
)
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

S = DeliveryStatus


def delivery_fields(**overrides):
    return {
        "origin_address": "Keizersgracht 1, Amsterdam",
        "destination_address": "Coolsingel 40, Rotterdam",
        "recipient_name": "Ada Lovelace",
        "recipient_phone": "+31201234567",
        "recipient_email": "ada@example.com",
        "weight_kg": Decimal("12.50"),
        "scheduled_for": timezone.now() + dt.timedelta(days=1),
        "notes": "Ring twice",
        **overrides,
    }


# delivery_create ------------------------------------------------------------------


def test_create_makes_a_pending_delivery_with_its_creation_event(dispatcher):
    delivery = delivery_create(actor=dispatcher, **delivery_fields())

    stored = Delivery.objects.get(pk=delivery.pk)
    assert stored.status == S.PENDING
    assert stored.vehicle is None
    assert stored.driver is None
    assert stored.weight_kg == Decimal("12.50")
    assert stored.recipient_name == "Ada Lovelace"
    assert stored.tracking_code
    event = stored.events.get()
    assert (event.from_status, event.to_status, event.actor) == ("", S.PENDING, dispatcher)


def test_created_deliveries_get_distinct_tracking_codes(dispatcher):
    codes = {delivery_create(actor=dispatcher, **delivery_fields()).tracking_code for _ in range(5)}

    assert len(codes) == 5


def test_create_with_a_vehicle_assigns_it(vehicle, driver, dispatcher):
    delivery = delivery_create(
        actor=dispatcher, vehicle=vehicle, driver=driver, **delivery_fields()
    )

    stored = Delivery.objects.get(pk=delivery.pk)
    assert stored.status == S.ASSIGNED
    assert stored.vehicle == vehicle
    assert stored.driver == driver
    assert list(stored.events.values_list("from_status", "to_status", "actor")) == [
        ("", S.PENDING, dispatcher.pk),
        (S.PENDING, S.ASSIGNED, dispatcher.pk),
    ]


def test_create_with_a_driver_but_no_vehicle_is_refused(driver, dispatcher):
    with pytest.raises(VehicleRequired) as exc_info:
        delivery_create(actor=dispatcher, driver=driver, **delivery_fields())

    assert exc_info.value.code == VehicleRequired.code
    assert exc_info.value.status_code == 400
    assert exc_info.value.attr == "vehicle_id"
    assert not Delivery.objects.exists()


@pytest.mark.parametrize(
    ("vehicle_traits", "fields", "driver_traits", "error"),
    [
        ({"in_maintenance": True}, {}, {}, VehicleInMaintenance),
        (
            {"capacity_kg": Decimal("10.00")},
            {"weight_kg": Decimal("10.01")},
            {},
            VehicleOverCapacity,
        ),
        ({}, {}, {"dispatcher": True}, DriverNotADriver),
    ],
    ids=["in-maintenance", "over-capacity", "not-a-driver"],
)
def test_create_refused_by_an_assignment_rule_leaves_nothing_behind(
    vehicle_traits, fields, driver_traits, error, dispatcher
):
    with pytest.raises(error):
        delivery_create(
            actor=dispatcher,
            vehicle=VehicleFactory(**vehicle_traits),
            driver=UserFactory(**driver_traits),
            **delivery_fields(**fields),
        )

    assert not Delivery.objects.exists()
    assert not DeliveryEvent.objects.exists()


def test_create_validates_the_fields(dispatcher):
    with pytest.raises(ValidationError) as exc_info:
        delivery_create(actor=dispatcher, **delivery_fields(weight_kg=Decimal("0")))

    assert "weight_kg" in exc_info.value.message_dict
    assert not Delivery.objects.exists()


def test_create_ignores_fields_a_client_may_not_set(dispatcher):
    delivery = delivery_create(
        actor=dispatcher, status=S.DELIVERED, tracking_code="LTCHOSEN", **delivery_fields()
    )

    stored = Delivery.objects.get(pk=delivery.pk)
    assert stored.status == S.PENDING
    assert stored.tracking_code != "LTCHOSEN"


# delivery_update ------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.PENDING, S.ASSIGNED])
def test_update_edits_an_open_delivery_without_a_status_event(status, dispatcher):
    delivery = DeliveryFactory() if status == S.PENDING else DeliveryFactory(assigned=True)

    delivery_update(delivery=delivery, actor=dispatcher, notes="Leave at the back door")

    delivery.refresh_from_db()
    assert delivery.notes == "Leave at the back door"
    assert delivery.status == status
    assert not delivery.events.exists()


@pytest.mark.parametrize("trait", ["in_transit", "delivered", "failed", "cancelled"])
def test_update_of_a_closed_delivery_is_refused(trait, dispatcher, stored_state):
    delivery = DeliveryFactory(**{trait: True})
    before = stored_state(delivery)

    with pytest.raises(DeliveryNotEditable) as exc_info:
        delivery_update(delivery=delivery, actor=dispatcher, notes="Too late")

    assert exc_info.value.code == DeliveryNotEditable.code
    assert exc_info.value.status_code == 409
    assert exc_info.value.detail == DeliveryNotEditable.message.format(status=trait)
    assert stored_state(delivery) == before


def test_update_with_a_vehicle_assigns(vehicle, driver, dispatcher):
    delivery = DeliveryFactory()

    delivery_update(delivery=delivery, actor=dispatcher, vehicle=vehicle, driver=driver)

    delivery.refresh_from_db()
    assert delivery.status == S.ASSIGNED
    assert (delivery.vehicle, delivery.driver) == (vehicle, driver)
    event = delivery.events.get()
    assert (event.from_status, event.to_status, event.actor) == (S.PENDING, S.ASSIGNED, dispatcher)


def test_update_with_a_vehicle_in_maintenance_changes_nothing(dispatcher, stored_state):
    delivery = DeliveryFactory()
    before = stored_state(delivery)

    with pytest.raises(VehicleInMaintenance):
        delivery_update(
            delivery=delivery,
            actor=dispatcher,
            vehicle=VehicleFactory(in_maintenance=True),
            notes="Edited with the assignment",
        )

    assert stored_state(delivery) == before


def test_update_with_an_inactive_driver_is_refused(vehicle, dispatcher, stored_state):
    delivery = DeliveryFactory()
    before = stored_state(delivery)

    with pytest.raises(DriverNotADriver):
        delivery_update(
            delivery=delivery,
            actor=dispatcher,
            vehicle=vehicle,
            driver=UserFactory(inactive=True),
        )

    assert stored_state(delivery) == before


def test_update_with_vehicle_none_unassigns(vehicle, driver, dispatcher):
    delivery = DeliveryFactory()
    delivery_assign(delivery=delivery, vehicle=vehicle, driver=driver, actor=dispatcher)

    delivery_update(delivery=delivery, actor=dispatcher, vehicle=None)

    delivery.refresh_from_db()
    assert delivery.status == S.PENDING
    assert delivery.vehicle is None
    assert delivery.driver is None
    last = delivery.events.last()
    assert (last.from_status, last.to_status) == (S.ASSIGNED, S.PENDING)


def test_update_with_vehicle_none_on_a_pending_delivery_changes_no_status(dispatcher):
    delivery = DeliveryFactory()

    delivery_update(delivery=delivery, actor=dispatcher, vehicle=None, notes="Still waiting")

    delivery.refresh_from_db()
    assert delivery.status == S.PENDING
    assert delivery.notes == "Still waiting"
    assert not delivery.events.exists()


def test_update_with_a_driver_but_no_vehicle_is_refused(driver, dispatcher, stored_state):
    delivery = DeliveryFactory()
    before = stored_state(delivery)

    with pytest.raises(VehicleRequired) as exc_info:
        delivery_update(delivery=delivery, actor=dispatcher, driver=driver)

    assert exc_info.value.attr == "vehicle_id"
    assert stored_state(delivery) == before


def test_update_with_vehicle_none_and_a_driver_is_refused(driver, dispatcher, stored_state):
    delivery = DeliveryFactory(assigned=True)
    before = stored_state(delivery)

    with pytest.raises(VehicleRequired):
        delivery_update(delivery=delivery, actor=dispatcher, vehicle=None, driver=driver)

    assert stored_state(delivery) == before


def test_update_of_the_driver_alone_keeps_the_vehicle(vehicle, driver, other_driver, dispatcher):
    delivery = DeliveryFactory()
    delivery_assign(delivery=delivery, vehicle=vehicle, driver=driver, actor=dispatcher)

    delivery_update(delivery=delivery, actor=dispatcher, driver=other_driver)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.vehicle, delivery.driver) == (
        S.ASSIGNED,
        vehicle,
        other_driver,
    )


def test_new_weight_within_capacity_is_kept(vehicle, driver, dispatcher):
    delivery = DeliveryFactory(weight_kg=Decimal("40.00"))
    delivery_assign(delivery=delivery, vehicle=vehicle, driver=driver, actor=dispatcher)

    delivery_update(delivery=delivery, actor=dispatcher, weight_kg=Decimal("100.00"))

    delivery.refresh_from_db()
    assert delivery.weight_kg == Decimal("100.00")
    assert delivery.status == S.ASSIGNED
    assert delivery.events.count() == 1


def test_new_weight_over_capacity_is_refused_and_the_old_weight_kept(
    vehicle, driver, dispatcher, stored_state
):
    DeliveryFactory(assigned=True, vehicle=vehicle, weight_kg=Decimal("50.00"))
    delivery = DeliveryFactory(weight_kg=Decimal("40.00"))
    delivery_assign(delivery=delivery, vehicle=vehicle, driver=driver, actor=dispatcher)
    before = stored_state(delivery)

    with pytest.raises(VehicleOverCapacity) as exc_info:
        delivery_update(delivery=delivery, actor=dispatcher, weight_kg=Decimal("50.01"))

    assert exc_info.value.attr == "vehicle_id"
    assert stored_state(delivery) == before
    assert stored_state(delivery)["weight_kg"] == Decimal("40.00")


def test_new_weight_on_a_pending_delivery_is_not_checked_against_any_vehicle(dispatcher):
    delivery = DeliveryFactory()

    delivery_update(delivery=delivery, actor=dispatcher, weight_kg=Decimal("5000.00"))

    delivery.refresh_from_db()
    assert delivery.weight_kg == Decimal("5000.00")


def test_update_cannot_change_status(dispatcher):
    delivery = DeliveryFactory()

    delivery_update(delivery=delivery, actor=dispatcher, status=S.DELIVERED, notes="x")

    delivery.refresh_from_db()
    assert delivery.status == S.PENDING


# delivery_delete ------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.PENDING, S.CANCELLED])
def test_delete_removes_a_pending_or_cancelled_delivery_and_its_history(status, dispatcher):
    delivery = delivery_create(actor=dispatcher, **delivery_fields())
    if status == S.CANCELLED:
        delivery_cancel(delivery=delivery, reason="Customer called", actor=dispatcher)

    delivery_delete(delivery=delivery, actor=dispatcher)

    assert not Delivery.objects.filter(pk=delivery.pk).exists()
    assert not DeliveryEvent.objects.filter(delivery_id=delivery.pk).exists()


@pytest.mark.parametrize("trait", ["assigned", "in_transit", "delivered", "failed"])
def test_delete_of_other_deliveries_is_refused(trait, dispatcher, stored_state):
    delivery = DeliveryFactory(**{trait: True})
    before = stored_state(delivery)

    with pytest.raises(DeliveryNotDeletable) as exc_info:
        delivery_delete(delivery=delivery, actor=dispatcher)

    assert exc_info.value.code == DeliveryNotDeletable.code
    assert exc_info.value.status_code == 409
    assert exc_info.value.detail == DeliveryNotDeletable.message.format(status=trait)
    assert stored_state(delivery) == before


def test_creating_a_delivery_costs_six_queries(django_assert_num_queries):
    """A savepoint, the tracking code's uniqueness, the delivery, its event, the webhook
    endpoints that want it, the release: bulk creation runs this once per item, so every
    round trip counts 500 times."""
    dispatcher = UserFactory(dispatcher=True)
    with django_assert_num_queries(6):
        delivery_create(actor=dispatcher, **delivery_fields())


def test_a_delivery_the_table_would_refuse_is_refused(db):
    """Its CHECK constraints are enforced by the database even where the service does
    not validate them first."""
    delivery = DeliveryFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(status="nonsense")
