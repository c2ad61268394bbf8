"""The delivery actions (assign, unassign, start, complete, fail, cancel, events):
each move, the moves the status does not allow, and what a driver may do with their
own deliveries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from deliveries.models import Delivery, DeliveryEvent, DeliveryStatus
from deliveries.tests.factories import DeliveryFactory
from fleet.tests.factories import VehicleFactory
from services.exceptions import (
    DriverNotADriver,
    InvalidTransition,
    VehicleInMaintenance,
    VehicleOutOfService,
    VehicleOverCapacity,
)

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/deliveries/"
EVENT_FIELDS = {"kind", "from_status", "to_status", "at", "actor", "note"}


def action_url(delivery, action: str) -> str:
    return f"{LIST_URL}{delivery.pk}/{action}/"


def errors_of(response) -> list[tuple[str, str | None]]:
    return [(error["code"], error["attr"]) for error in response.json()["errors"]]


def status_of(delivery) -> str:
    return Delivery.objects.get(pk=delivery.pk).status


# Assign ----------------------------------------------------------------------------


def test_assign_a_pending_delivery(dispatcher_client, driver, dispatcher):
    delivery = DeliveryFactory()
    vehicle = VehicleFactory()

    response = dispatcher_client.post(
        action_url(delivery, "assign"), {"vehicle_id": vehicle.pk, "driver_id": driver.pk}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == DeliveryStatus.ASSIGNED
    assert body["vehicle"]["id"] == vehicle.pk
    assert body["driver"]["id"] == driver.pk
    delivery.refresh_from_db()
    assert (delivery.status, delivery.vehicle, delivery.driver) == (
        DeliveryStatus.ASSIGNED,
        vehicle,
        driver,
    )
    event = DeliveryEvent.objects.get(delivery=delivery)
    assert (event.from_status, event.to_status, event.actor) == (
        DeliveryStatus.PENDING,
        DeliveryStatus.ASSIGNED,
        dispatcher,
    )


def test_reassign_an_assigned_delivery(dispatcher_client, other_driver):
    delivery = DeliveryFactory(assigned=True)
    vehicle = VehicleFactory()

    response = dispatcher_client.post(
        action_url(delivery, "assign"), {"vehicle_id": vehicle.pk, "driver_id": other_driver.pk}
    )

    assert response.status_code == 200
    delivery.refresh_from_db()
    assert (delivery.status, delivery.vehicle, delivery.driver) == (
        DeliveryStatus.ASSIGNED,
        vehicle,
        other_driver,
    )


def test_assign_needs_a_vehicle(dispatcher_client, driver):
    delivery = DeliveryFactory()

    response = dispatcher_client.post(action_url(delivery, "assign"), {"driver_id": driver.pk})

    assert response.status_code == 400
    assert [attr for _, attr in errors_of(response)] == ["vehicle_id"]
    assert status_of(delivery) == DeliveryStatus.PENDING


@pytest.mark.parametrize(
    ("vehicle_traits", "error"),
    [
        ({"in_maintenance": True}, VehicleInMaintenance),
        ({"out_of_service": True}, VehicleOutOfService),
        ({"capacity_kg": Decimal("9.99")}, VehicleOverCapacity),
    ],
)
def test_assign_breaking_a_vehicle_rule(dispatcher_client, driver, vehicle_traits, error):
    delivery = DeliveryFactory(weight_kg=Decimal("10.00"))
    vehicle = VehicleFactory(**vehicle_traits)

    response = dispatcher_client.post(
        action_url(delivery, "assign"), {"vehicle_id": vehicle.pk, "driver_id": driver.pk}
    )

    assert response.status_code == 400
    assert errors_of(response) == [(error.code, "vehicle_id")]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.vehicle) == (DeliveryStatus.PENDING, None)


def test_assign_to_a_non_driver(dispatcher_client, dispatcher):
    delivery = DeliveryFactory()
    vehicle = VehicleFactory()

    response = dispatcher_client.post(
        action_url(delivery, "assign"), {"vehicle_id": vehicle.pk, "driver_id": dispatcher.pk}
    )

    assert response.status_code == 400
    assert errors_of(response) == [(DriverNotADriver.code, "driver_id")]
    assert status_of(delivery) == DeliveryStatus.PENDING


@pytest.mark.parametrize("trait", ["in_transit", "delivered", "failed", "cancelled"])
def test_assign_from_a_later_status_is_an_invalid_transition(dispatcher_client, driver, trait):
    delivery = DeliveryFactory(**{trait: True})
    vehicle = VehicleFactory()

    response = dispatcher_client.post(
        action_url(delivery, "assign"), {"vehicle_id": vehicle.pk, "driver_id": driver.pk}
    )

    assert response.status_code == 409
    assert errors_of(response) == [(InvalidTransition.code, None)]
    assert status_of(delivery) == trait


# Unassign --------------------------------------------------------------------------


def test_unassign(dispatcher_client):
    delivery = DeliveryFactory(assigned=True)

    response = dispatcher_client.post(action_url(delivery, "unassign"))

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["vehicle"], body["driver"]) == (DeliveryStatus.PENDING, None, None)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.vehicle, delivery.driver) == (
        DeliveryStatus.PENDING,
        None,
        None,
    )


@pytest.mark.parametrize("trait", [{}, {"in_transit": True}, {"delivered": True}])
def test_unassign_when_not_assigned_is_an_invalid_transition(dispatcher_client, trait):
    delivery = DeliveryFactory(**trait)
    before = status_of(delivery)

    response = dispatcher_client.post(action_url(delivery, "unassign"))

    assert response.status_code == 409
    assert errors_of(response) == [(InvalidTransition.code, None)]
    assert status_of(delivery) == before


# Start, complete, fail -------------------------------------------------------------


def test_start(dispatcher_client):
    delivery = DeliveryFactory(assigned=True)

    response = dispatcher_client.post(action_url(delivery, "start"))

    assert response.status_code == 200
    assert response.json()["status"] == DeliveryStatus.IN_TRANSIT
    assert status_of(delivery) == DeliveryStatus.IN_TRANSIT


@pytest.mark.parametrize("trait", [{}, {"in_transit": True}, {"delivered": True}])
def test_start_from_another_status_is_an_invalid_transition(dispatcher_client, trait):
    delivery = DeliveryFactory(**trait)
    before = status_of(delivery)

    response = dispatcher_client.post(action_url(delivery, "start"))

    assert response.status_code == 409
    assert errors_of(response) == [(InvalidTransition.code, None)]
    assert status_of(delivery) == before


def test_complete(dispatcher_client):
    delivery = DeliveryFactory(in_transit=True)

    response = dispatcher_client.post(action_url(delivery, "complete"))

    assert response.status_code == 200
    assert response.json()["status"] == DeliveryStatus.DELIVERED
    assert response.json()["delivered_at"] is not None
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert abs(delivery.delivered_at - timezone.now()) < dt.timedelta(minutes=1)


@pytest.mark.parametrize("trait", [{}, {"assigned": True}, {"failed": True}])
def test_complete_from_another_status_is_an_invalid_transition(dispatcher_client, trait):
    delivery = DeliveryFactory(**trait)
    before = status_of(delivery)

    response = dispatcher_client.post(action_url(delivery, "complete"))

    assert response.status_code == 409
    assert errors_of(response) == [(InvalidTransition.code, None)]
    delivery.refresh_from_db()
    assert delivery.status == before
    assert delivery.delivered_at is None


def test_fail(dispatcher_client):
    delivery = DeliveryFactory(in_transit=True)

    response = dispatcher_client.post(action_url(delivery, "fail"), {"reason": "Nobody home"})

    assert response.status_code == 200
    assert response.json()["status"] == DeliveryStatus.FAILED
    assert response.json()["failure_reason"] == "Nobody home"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.failure_reason) == (DeliveryStatus.FAILED, "Nobody home")


@pytest.mark.parametrize("data", [{}, {"reason": ""}])
def test_fail_needs_a_reason(dispatcher_client, data):
    delivery = DeliveryFactory(in_transit=True)

    response = dispatcher_client.post(action_url(delivery, "fail"), data)

    assert response.status_code == 400
    assert [attr for _, attr in errors_of(response)] == ["reason"]
    assert status_of(delivery) == DeliveryStatus.IN_TRANSIT


@pytest.mark.parametrize("trait", [{}, {"assigned": True}, {"delivered": True}])
def test_fail_from_another_status_is_an_invalid_transition(dispatcher_client, trait):
    delivery = DeliveryFactory(**trait)
    before = status_of(delivery)

    response = dispatcher_client.post(action_url(delivery, "fail"), {"reason": "Lost"})

    assert response.status_code == 409
    assert errors_of(response) == [(InvalidTransition.code, None)]
    assert status_of(delivery) == before


# Cancel ----------------------------------------------------------------------------


@pytest.mark.parametrize("trait", [{}, {"assigned": True}])
def test_cancel(dispatcher_client, trait):
    delivery = DeliveryFactory(**trait)

    response = dispatcher_client.post(action_url(delivery, "cancel"), {"reason": "Customer"})

    assert response.status_code == 200
    assert response.json()["status"] == DeliveryStatus.CANCELLED
    assert status_of(delivery) == DeliveryStatus.CANCELLED
    event = DeliveryEvent.objects.get(delivery=delivery)
    assert (event.to_status, event.note) == (DeliveryStatus.CANCELLED, "Customer")


@pytest.mark.parametrize("data", [{}, {"reason": ""}])
def test_cancel_needs_a_reason(dispatcher_client, data):
    delivery = DeliveryFactory()

    response = dispatcher_client.post(action_url(delivery, "cancel"), data)

    assert response.status_code == 400
    assert [attr for _, attr in errors_of(response)] == ["reason"]
    assert status_of(delivery) == DeliveryStatus.PENDING


@pytest.mark.parametrize("trait", ["in_transit", "delivered", "failed", "cancelled"])
def test_cancel_from_a_later_status_is_an_invalid_transition(dispatcher_client, trait):
    delivery = DeliveryFactory(**{trait: True})

    response = dispatcher_client.post(action_url(delivery, "cancel"), {"reason": "Too late"})

    assert response.status_code == 409
    assert errors_of(response) == [(InvalidTransition.code, None)]
    assert status_of(delivery) == trait


# Events ----------------------------------------------------------------------------


def test_events_list_the_history_oldest_first(dispatcher_client, dispatcher, driver):
    vehicle = VehicleFactory()
    created = dispatcher_client.post(
        LIST_URL,
        {
            "origin_address": "Depot",
            "destination_address": "Street 1",
            "recipient_name": "Ada",
            "weight_kg": "5.00",
            "scheduled_for": (timezone.now() + dt.timedelta(days=1)).isoformat(),
        },
    ).json()
    delivery = Delivery.objects.get(pk=created["id"])
    dispatcher_client.post(
        action_url(delivery, "assign"), {"vehicle_id": vehicle.pk, "driver_id": driver.pk}
    )
    dispatcher_client.post(action_url(delivery, "cancel"), {"reason": "Customer moved"})

    response = dispatcher_client.get(action_url(delivery, "events"))

    assert response.status_code == 200
    events = response.json()
    assert all(set(event) == EVENT_FIELDS for event in events)
    assert [(e["from_status"], e["to_status"]) for e in events] == [
        (None, DeliveryStatus.PENDING),
        (DeliveryStatus.PENDING, DeliveryStatus.ASSIGNED),
        (DeliveryStatus.ASSIGNED, DeliveryStatus.CANCELLED),
    ]
    times = [dt.datetime.fromisoformat(e["at"]) for e in events]
    assert times == sorted(times)
    assert all(e["actor"]["id"] == dispatcher.pk for e in events)
    assert events[0]["actor"]["username"] == dispatcher.username
    assert events[-1]["note"] == "Customer moved"


def test_events_of_a_delivery_without_history_are_empty(dispatcher_client):
    delivery = DeliveryFactory()

    response = dispatcher_client.get(action_url(delivery, "events"))

    assert response.status_code == 200
    assert response.json() == []


# What a driver may do with their own delivery --------------------------------------


def test_driver_starts_their_own_delivery(driver_client, driver):
    delivery = DeliveryFactory(assigned=True, driver=driver)

    response = driver_client.post(action_url(delivery, "start"))

    assert response.status_code == 200
    assert status_of(delivery) == DeliveryStatus.IN_TRANSIT
    assert DeliveryEvent.objects.get(delivery=delivery).actor == driver


def test_driver_completes_their_own_delivery(driver_client, driver):
    delivery = DeliveryFactory(in_transit=True, driver=driver)

    response = driver_client.post(action_url(delivery, "complete"))

    assert response.status_code == 200
    assert status_of(delivery) == DeliveryStatus.DELIVERED


def test_driver_fails_their_own_delivery(driver_client, driver):
    delivery = DeliveryFactory(in_transit=True, driver=driver)

    response = driver_client.post(action_url(delivery, "fail"), {"reason": "Closed"})

    assert response.status_code == 200
    delivery.refresh_from_db()
    assert (delivery.status, delivery.failure_reason) == (DeliveryStatus.FAILED, "Closed")


def test_driver_reads_their_own_delivery_and_its_events(driver_client, driver):
    delivery = DeliveryFactory(assigned=True, driver=driver)

    assert driver_client.get(f"{LIST_URL}{delivery.pk}/").status_code == 200
    assert driver_client.get(action_url(delivery, "events")).status_code == 200


def test_driver_gets_invalid_transition_like_anyone(driver_client, driver):
    delivery = DeliveryFactory(delivered=True, driver=driver)

    response = driver_client.post(action_url(delivery, "start"))

    assert response.status_code == 409
    assert errors_of(response) == [(InvalidTransition.code, None)]


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("post", "assign/", "assign"),
        ("post", "unassign/", None),
        ("post", "cancel/", {"reason": "Not my day"}),
        ("patch", "", {"notes": "Changed by the driver"}),
        ("put", "", "full"),
        ("delete", "", None),
    ],
)
def test_driver_may_not_manage_their_own_delivery(driver_client, driver, method, path, data):
    delivery = DeliveryFactory(assigned=True, driver=driver, notes="Before")
    if data == "assign":
        data = {"vehicle_id": VehicleFactory().pk, "driver_id": driver.pk}
    elif data == "full":
        data = {
            "origin_address": "Elsewhere",
            "destination_address": "Elsewhere",
            "recipient_name": "Someone",
            "weight_kg": "1.00",
            "scheduled_for": timezone.now().isoformat(),
            "notes": "Changed by the driver",
        }
    before = Delivery.objects.values().get(pk=delivery.pk)

    response = getattr(driver_client, method)(f"{LIST_URL}{delivery.pk}/{path}", data)

    assert response.status_code == 403
    assert response.json()["type"] == "client_error"
    assert Delivery.objects.values().get(pk=delivery.pk) == before
    assert not DeliveryEvent.objects.filter(delivery=delivery).exists()


# The whole journey -----------------------------------------------------------------


def test_happy_path_from_creation_to_delivery(
    dispatcher_client, driver_client, dispatcher, driver, anon_client
):
    vehicle = VehicleFactory()

    created = dispatcher_client.post(
        LIST_URL,
        {
            "origin_address": "Depot",
            "destination_address": "Street 1",
            "recipient_name": "Ada",
            "weight_kg": "5.00",
            "scheduled_for": (timezone.now() + dt.timedelta(hours=3)).isoformat(),
        },
    )
    assert created.status_code == 201
    delivery_id = created.json()["id"]
    code = created.json()["tracking_code"]
    base = f"{LIST_URL}{delivery_id}/"

    assert driver_client.get(base).status_code == 404  # not theirs yet

    assigned = dispatcher_client.post(
        base + "assign/", {"vehicle_id": vehicle.pk, "driver_id": driver.pk}
    )
    assert assigned.json()["status"] == DeliveryStatus.ASSIGNED

    own_list = driver_client.get(LIST_URL).json()
    assert [row["id"] for row in own_list["results"]] == [delivery_id]

    started = driver_client.post(base + "start/")
    assert started.status_code == 200
    assert started.json()["status"] == DeliveryStatus.IN_TRANSIT

    completed = driver_client.post(base + "complete/")
    assert completed.status_code == 200
    assert completed.json()["status"] == DeliveryStatus.DELIVERED
    assert completed.json()["delivered_at"] is not None

    events = driver_client.get(base + "events/").json()
    assert [(e["to_status"], e["actor"]["id"]) for e in events] == [
        (DeliveryStatus.PENDING, dispatcher.pk),
        (DeliveryStatus.ASSIGNED, dispatcher.pk),
        (DeliveryStatus.IN_TRANSIT, driver.pk),
        (DeliveryStatus.DELIVERED, driver.pk),
    ]

    tracked = anon_client.get(f"/api/v1/track/{code}/").json()
    assert tracked["status"] == DeliveryStatus.DELIVERED
    assert [e["status"] for e in tracked["events"]] == [e["to_status"] for e in events]

    assert dispatcher_client.delete(base).status_code == 409
