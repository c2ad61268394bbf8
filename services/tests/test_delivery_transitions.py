from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from deliveries.models import Delivery, DeliveryStatus
from deliveries.tests.factories import DeliveryFactory
from fleet.tests.factories import VehicleFactory
from services.deliveries import (
    delivery_assign,
    delivery_cancel,
    delivery_complete,
    delivery_fail,
    delivery_start,
    delivery_unassign,
)
from services.exceptions import InvalidTransition

pytestmark = pytest.mark.django_db

S = DeliveryStatus

# The contract's status graph: (status, action) -> the status the action leads to.
ALLOWED = {
    (S.PENDING, "assign"): S.ASSIGNED,
    (S.ASSIGNED, "assign"): S.ASSIGNED,
    (S.ASSIGNED, "unassign"): S.PENDING,
    (S.ASSIGNED, "start"): S.IN_TRANSIT,
    (S.IN_TRANSIT, "complete"): S.DELIVERED,
    (S.IN_TRANSIT, "fail"): S.FAILED,
    (S.PENDING, "cancel"): S.CANCELLED,
    (S.ASSIGNED, "cancel"): S.CANCELLED,
}
TARGET = {
    "assign": S.ASSIGNED,
    "unassign": S.PENDING,
    "start": S.IN_TRANSIT,
    "complete": S.DELIVERED,
    "fail": S.FAILED,
    "cancel": S.CANCELLED,
}


def act(action, delivery, actor):
    if action == "assign":
        return delivery_assign(
            delivery=delivery, vehicle=VehicleFactory(), driver=None, actor=actor
        )
    if action == "unassign":
        return delivery_unassign(delivery=delivery, actor=actor)
    if action == "start":
        return delivery_start(delivery=delivery, actor=actor)
    if action == "complete":
        return delivery_complete(delivery=delivery, actor=actor)
    if action == "fail":
        return delivery_fail(delivery=delivery, reason="Nobody home", actor=actor)
    return delivery_cancel(delivery=delivery, reason="Customer called", actor=actor)


def delivery_in(status):
    return DeliveryFactory() if status == S.PENDING else DeliveryFactory(**{status: True})


ALL_PAIRS = [(status, action) for status in S.values for action in TARGET]


@pytest.mark.parametrize(("status", "action"), [pair for pair in ALL_PAIRS if pair in ALLOWED])
def test_allowed_move(status, action, dispatcher):
    delivery = delivery_in(status)

    act(action, delivery, dispatcher)

    delivery.refresh_from_db()
    assert delivery.status == ALLOWED[status, action]
    event = delivery.events.get()
    assert (event.from_status, event.to_status) == (status, ALLOWED[status, action])
    assert event.actor == dispatcher


@pytest.mark.parametrize(("status", "action"), [pair for pair in ALL_PAIRS if pair not in ALLOWED])
def test_every_other_move_is_an_invalid_transition(status, action, dispatcher, stored_state):
    delivery = delivery_in(status)
    before = stored_state(delivery)

    with pytest.raises(InvalidTransition) as exc_info:
        act(action, delivery, dispatcher)

    assert exc_info.value.code == InvalidTransition.code
    assert exc_info.value.status_code == 409
    assert exc_info.value.detail == InvalidTransition.message.format(
        from_status=status, to_status=TARGET[action]
    )
    assert stored_state(delivery) == before


def test_the_happy_path_is_recorded_oldest_first(vehicle, driver, dispatcher):
    delivery = DeliveryFactory()

    delivery_assign(delivery=delivery, vehicle=vehicle, driver=driver, actor=dispatcher)
    delivery_start(delivery=delivery, actor=driver)
    delivery_complete(delivery=delivery, actor=driver)

    delivery.refresh_from_db()
    assert delivery.status == S.DELIVERED
    events = list(delivery.events.all())
    assert [(e.from_status, e.to_status, e.actor) for e in events] == [
        (S.PENDING, S.ASSIGNED, dispatcher),
        (S.ASSIGNED, S.IN_TRANSIT, driver),
        (S.IN_TRANSIT, S.DELIVERED, driver),
    ]
    assert [e.at for e in events] == sorted(e.at for e in events)


def test_complete_sets_delivered_at(dispatcher):
    delivery = DeliveryFactory(in_transit=True)
    assert delivery.delivered_at is None
    before = timezone.now()

    delivery_complete(delivery=delivery, actor=dispatcher)

    delivery.refresh_from_db()
    assert before <= delivery.delivered_at <= timezone.now()


def test_fail_keeps_the_reason(driver):
    delivery = DeliveryFactory(in_transit=True, driver=driver)

    delivery_fail(delivery=delivery, reason="Address does not exist", actor=driver)

    delivery.refresh_from_db()
    assert delivery.status == S.FAILED
    assert delivery.failure_reason == "Address does not exist"
    assert delivery.delivered_at is None
    assert delivery.events.get().note == "Address does not exist"


def test_cancel_records_the_reason(dispatcher):
    delivery = DeliveryFactory(assigned=True)

    delivery_cancel(delivery=delivery, reason="Customer called", actor=dispatcher)

    delivery.refresh_from_db()
    assert delivery.status == S.CANCELLED
    event = delivery.events.get()
    assert (event.from_status, event.to_status) == (S.ASSIGNED, S.CANCELLED)
    assert event.note == "Customer called"


def test_unassign_clears_vehicle_and_driver(vehicle, driver, dispatcher):
    delivery = DeliveryFactory()
    delivery_assign(delivery=delivery, vehicle=vehicle, driver=driver, actor=dispatcher)

    delivery_unassign(delivery=delivery, actor=dispatcher)

    delivery.refresh_from_db()
    assert delivery.status == S.PENDING
    assert delivery.vehicle is None
    assert delivery.driver is None
    last = delivery.events.last()
    assert (last.from_status, last.to_status, last.actor) == (S.ASSIGNED, S.PENDING, dispatcher)


def test_unassigned_weight_frees_the_vehicle(vehicle, driver, dispatcher):
    first = DeliveryFactory(weight_kg=Decimal("80.00"))
    delivery_assign(delivery=first, vehicle=vehicle, driver=driver, actor=dispatcher)
    delivery_unassign(delivery=first, actor=dispatcher)
    second = DeliveryFactory(weight_kg=Decimal("80.00"))

    delivery_assign(delivery=second, vehicle=vehicle, driver=driver, actor=dispatcher)

    second.refresh_from_db()
    assert second.status == S.ASSIGNED


def test_a_system_move_has_no_actor():
    delivery = DeliveryFactory(assigned=True)

    delivery_start(delivery=delivery, actor=None)

    assert delivery.events.get().actor is None


# The database refuses what the services would never write -------------------------


@pytest.mark.parametrize(
    ("traits", "changes"),
    [
        ({}, {"status": S.ASSIGNED}),
        ({}, {"status": S.IN_TRANSIT}),
        ({"assigned": True}, {"status": S.PENDING}),
        ({"assigned": True}, {"vehicle": None}),
        ({"in_transit": True}, {"status": S.DELIVERED}),
        ({"assigned": True}, {"delivered_at": timezone.now()}),
        ({}, {"weight_kg": Decimal("0")}),
        ({}, {"status": "lost"}),
    ],
    ids=[
        "assigned-without-vehicle",
        "in-transit-without-vehicle",
        "pending-with-vehicle",
        "assigned-vehicle-cleared",
        "delivered-without-delivered-at",
        "delivered-at-before-delivery",
        "zero-weight",
        "unknown-status",
    ],
)
def test_database_refuses_a_broken_delivery_row(traits, changes):
    delivery = DeliveryFactory(**traits)

    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(**changes)
