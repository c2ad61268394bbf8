"""A driver reaches only their own deliveries: another driver's delivery answers 404
on every endpoint (so ids cannot be probed) and stays untouched."""

import datetime as dt

import pytest
from django.utils import timezone

from deliveries.models import Delivery, DeliveryEvent, DeliveryStatus
from deliveries.tests.factories import DeliveryFactory
from fleet.tests.factories import VehicleFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/deliveries/"


def full_payload(**overrides) -> dict:
    payload = {
        "origin_address": "Elsewhere",
        "destination_address": "Elsewhere",
        "recipient_name": "Someone else",
        "weight_kg": "1.00",
        "scheduled_for": (timezone.now() + dt.timedelta(days=1)).isoformat(),
    }
    payload.update(overrides)
    return payload


def test_driver_lists_only_their_own_deliveries(driver_client, driver, other_driver):
    own = [
        DeliveryFactory(assigned=True, driver=driver),
        DeliveryFactory(in_transit=True, driver=driver),
        DeliveryFactory(delivered=True, driver=driver),
    ]
    DeliveryFactory(assigned=True, driver=other_driver)
    DeliveryFactory(in_transit=True, driver=other_driver)
    DeliveryFactory()

    response = driver_client.get(LIST_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(own)
    assert sorted(row["id"] for row in body["results"]) == sorted(d.pk for d in own)


def test_driver_filtering_by_another_driver_finds_nothing(driver_client, driver, other_driver):
    DeliveryFactory(assigned=True, driver=driver)
    DeliveryFactory(assigned=True, driver=other_driver)

    response = driver_client.get(LIST_URL, {"driver": other_driver.pk})

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_driver_with_no_deliveries_sees_an_empty_list(driver_client, other_driver):
    DeliveryFactory(assigned=True, driver=other_driver)

    response = driver_client.get(LIST_URL)

    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "", None),
        ("put", "", "full"),
        ("patch", "", {"notes": "Changed"}),
        ("delete", "", None),
        ("post", "assign/", "assign"),
        ("post", "unassign/", None),
        ("post", "start/", None),
        ("post", "complete/", None),
        ("post", "fail/", {"reason": "Not mine"}),
        ("post", "cancel/", {"reason": "Not mine"}),
        ("get", "events/", None),
    ],
)
@pytest.mark.parametrize("trait", ["assigned", "in_transit"])
def test_another_drivers_delivery_is_not_found(
    driver_client, driver, other_driver, method, path, data, trait
):
    delivery = DeliveryFactory(**{trait: True}, driver=other_driver, notes="Before")
    if data == "assign":
        data = {"vehicle_id": VehicleFactory().pk, "driver_id": driver.pk}
    elif data == "full":
        data = full_payload()
    before = Delivery.objects.values().get(pk=delivery.pk)

    response = getattr(driver_client, method)(f"{LIST_URL}{delivery.pk}/{path}", data)

    assert response.status_code == 404
    assert response.json()["type"] == "client_error"
    assert response.json()["errors"][0]["code"] == "not_found"
    assert Delivery.objects.values().get(pk=delivery.pk) == before
    assert not DeliveryEvent.objects.filter(delivery=delivery).exists()


@pytest.mark.parametrize("path", ["", "events/", "start/"])
def test_an_unassigned_delivery_is_not_found_for_a_driver(driver_client, path):
    delivery = DeliveryFactory()

    method = driver_client.post if path == "start/" else driver_client.get
    response = method(f"{LIST_URL}{delivery.pk}/{path}")

    assert response.status_code == 404
    assert Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.PENDING


def test_a_delivery_moved_to_another_driver_disappears(
    dispatcher_client, driver_client, driver, other_driver
):
    delivery = DeliveryFactory(assigned=True, driver=driver)
    assert driver_client.get(f"{LIST_URL}{delivery.pk}/").status_code == 200

    dispatcher_client.post(
        f"{LIST_URL}{delivery.pk}/assign/",
        {"vehicle_id": delivery.vehicle_id, "driver_id": other_driver.pk},
    )

    assert driver_client.get(f"{LIST_URL}{delivery.pk}/").status_code == 404
    assert driver_client.post(f"{LIST_URL}{delivery.pk}/start/").status_code == 404
    assert Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.ASSIGNED
