"""Bulk creation and assignment: one result per item, in order, each as the single call
would answer; ``atomic`` writes all or nothing."""

from decimal import Decimal

import pytest

from deliveries.models import Delivery, DeliveryEvent, DeliveryStatus
from deliveries.serializers import MAX_BULK_ITEMS
from deliveries.tests.factories import DeliveryFactory, delivery_body
from fleet.tests.factories import VehicleFactory

pytestmark = pytest.mark.django_db

BULK = "/api/v1/deliveries/bulk/"
BULK_ASSIGN = "/api/v1/deliveries/bulk-assign/"


def codes(result) -> list[str]:
    return [error["code"] for error in result.get("errors", [])]


def test_mixed_items_get_exactly_their_own_results(dispatcher_client, driver):
    available = VehicleFactory(capacity_kg=Decimal("50.00"))
    in_maintenance = VehicleFactory(in_maintenance=True)
    items = [
        delivery_body(),
        delivery_body(vehicle_id=in_maintenance.pk),
        delivery_body(vehicle_id=available.pk, weight_kg="60.00"),
        delivery_body(vehicle_id=10**9),
        delivery_body(weight_kg="lots"),
        delivery_body(vehicle_id=available.pk, driver_id=driver.pk, weight_kg="10.00"),
    ]

    response = dispatcher_client.post(BULK, {"items": items}, format="json")

    assert response.status_code == 200
    answer = response.json()
    results = answer["results"]
    assert [r["index"] for r in results] == list(range(len(items)))
    assert [r["status"] for r in results] == [201, 400, 400, 400, 400, 201]
    assert [codes(r) for r in results] == [
        [],
        ["vehicle_in_maintenance"],
        ["vehicle_over_capacity"],
        ["does_not_exist"],
        ["invalid"],
        [],
    ]
    assert results[1]["errors"][0]["attr"] == "vehicle_id"
    assert (answer["succeeded"], answer["failed"]) == (2, 4)
    created = [results[0]["delivery"], results[5]["delivery"]]
    assert created[0]["status"] == "pending"
    assert (created[1]["status"], created[1]["driver"]["id"]) == ("assigned", driver.pk)
    assert Delivery.objects.count() == 2
    assert DeliveryEvent.objects.count() == 3  # created, created, assigned


def test_atomic_writes_nothing_when_one_item_is_refused(dispatcher_client):
    in_maintenance = VehicleFactory(in_maintenance=True)
    items = [delivery_body(), delivery_body(vehicle_id=in_maintenance.pk), delivery_body()]

    response = dispatcher_client.post(BULK, {"items": items, "atomic": True}, format="json")

    assert response.status_code == 400
    answer = response.json()
    assert [r["status"] for r in answer["results"]] == [201, 400, 201]
    assert codes(answer["results"][1]) == ["vehicle_in_maintenance"]
    assert not Delivery.objects.exists()
    assert not DeliveryEvent.objects.exists()


def test_atomic_writes_everything_when_all_succeed(dispatcher_client):
    response = dispatcher_client.post(
        BULK, {"items": [delivery_body(), delivery_body()], "atomic": True}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["succeeded"] == 2
    assert Delivery.objects.count() == 2


def test_more_than_the_limit_is_refused_whole(dispatcher_client):
    items = [delivery_body()] * (MAX_BULK_ITEMS + 1)

    response = dispatcher_client.post(BULK, {"items": items}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "too_many_items"
    assert not Delivery.objects.exists()


@pytest.mark.parametrize(
    ("payload", "code"),
    [({"items": []}, "empty"), ({"items": "x"}, "not_a_list"), ({}, "required")],
)
def test_a_malformed_bulk_body_is_refused_whole(dispatcher_client, payload, code):
    response = dispatcher_client.post(BULK, payload, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == code


def test_drivers_may_not_call_bulk_endpoints(driver_client):
    assert driver_client.post(BULK, {"items": [delivery_body()]}, format="json").status_code == 403
    assert driver_client.post(BULK_ASSIGN, {"items": []}, format="json").status_code == 403


def test_bulk_assign_reports_each_refusal_with_the_single_calls_code(dispatcher_client, driver):
    vehicle = VehicleFactory(capacity_kg=Decimal("100.00"))
    in_maintenance = VehicleFactory(in_maintenance=True)
    pending = DeliveryFactory.create_batch(3, weight_kg=Decimal("40.00"))
    delivered = DeliveryFactory(delivered=True)
    items = [
        {"delivery_id": pending[0].pk, "vehicle_id": vehicle.pk, "driver_id": driver.pk},
        {"delivery_id": pending[1].pk, "vehicle_id": in_maintenance.pk},
        {"delivery_id": pending[1].pk, "vehicle_id": vehicle.pk},
        {"delivery_id": pending[2].pk, "vehicle_id": vehicle.pk},  # 120 kg > 100 kg
        {"delivery_id": 10**9, "vehicle_id": vehicle.pk},
        {"delivery_id": delivered.pk, "vehicle_id": vehicle.pk},
        {"delivery_id": 1.5, "vehicle_id": vehicle.pk},
    ]

    response = dispatcher_client.post(BULK_ASSIGN, {"items": items}, format="json")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == [200, 400, 200, 400, 404, 409, 400]
    assert [codes(r) for r in results] == [
        [],
        ["vehicle_in_maintenance"],
        [],
        ["vehicle_over_capacity"],
        ["not_found"],
        ["invalid_transition"],
        ["invalid"],
    ]
    assert results[0]["delivery"]["status"] == DeliveryStatus.ASSIGNED
    assert set(
        Delivery.objects.filter(status=DeliveryStatus.ASSIGNED).values_list("pk", flat=True)
    ) == {pending[0].pk, pending[1].pk}
