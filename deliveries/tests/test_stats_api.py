import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deliveries.models import DeliveryStatus
from deliveries.tests.factories import DeliveryFactory
from fleet.models import VehicleStatus
from fleet.tests.factories import VehicleFactory
from services import deliveries as delivery_services
from services import fleet as fleet_services

pytestmark = pytest.mark.django_db

URL = "/api/v1/stats/"


def test_counts_by_status_and_on_time_rate(dispatcher_client):
    now = timezone.now()
    DeliveryFactory.create_batch(2)
    DeliveryFactory(in_transit=True)
    # Delivered on time, and late.
    DeliveryFactory(delivered=True, scheduled_for=now + dt.timedelta(hours=1))
    DeliveryFactory(delivered=True, scheduled_for=now + dt.timedelta(hours=1))
    DeliveryFactory(delivered=True, scheduled_for=now - dt.timedelta(days=1))
    VehicleFactory(in_maintenance=True)

    body = dispatcher_client.get(URL).json()

    assert set(body) == {
        "deliveries_by_status",
        "vehicles_by_status",
        "on_time_rate",
        "generated_at",
    }
    assert body["deliveries_by_status"] == {
        **{status: 0 for status in DeliveryStatus.values},
        "pending": 2,
        "in_transit": 1,
        "delivered": 3,
    }
    assert body["vehicles_by_status"]["in_maintenance"] == 1
    assert set(body["vehicles_by_status"]) == set(VehicleStatus.values)
    assert body["on_time_rate"] == pytest.approx(2 / 3, abs=1e-4)


def test_no_rate_before_the_first_delivery(dispatcher_client):
    assert dispatcher_client.get(URL).json()["on_time_rate"] is None


def test_staff_only(driver_client, anon_client, admin_client):
    assert driver_client.get(URL).status_code == 403
    assert anon_client.get(URL).status_code == 401
    assert admin_client.get(URL).status_code == 200


def test_served_from_the_cache(dispatcher_client):
    DeliveryFactory()
    first = dispatcher_client.get(URL).json()
    with CaptureQueriesContext(connection) as queries:
        second = dispatcher_client.get(URL).json()
    assert second == first
    assert len(queries) == 0


def _pending(client):
    return client.get(URL).json()["deliveries_by_status"]["pending"]


def test_never_stale_after_an_api_write(dispatcher_client, django_capture_on_commit_callbacks):
    assert _pending(dispatcher_client) == 0
    with django_capture_on_commit_callbacks(execute=True):
        response = dispatcher_client.post(
            "/api/v1/deliveries/",
            {
                "origin_address": "A",
                "destination_address": "B",
                "recipient_name": "C",
                "weight_kg": "1.00",
                "scheduled_for": "2030-01-01T10:00:00Z",
            },
        )
    assert response.status_code == 201
    assert _pending(dispatcher_client) == 1

    with django_capture_on_commit_callbacks(execute=True):
        dispatcher_client.delete(f"/api/v1/deliveries/{response.json()['id']}/")
    assert _pending(dispatcher_client) == 0


def test_never_stale_after_a_service_write(
    dispatcher, dispatcher_client, django_capture_on_commit_callbacks
):
    delivery = DeliveryFactory()
    vehicle = VehicleFactory()
    assert _pending(dispatcher_client) == 1

    with django_capture_on_commit_callbacks(execute=True):
        delivery_services.delivery_assign(
            delivery=delivery, vehicle=vehicle, driver=None, actor=dispatcher
        )
    body = dispatcher_client.get(URL).json()
    assert body["deliveries_by_status"]["assigned"] == 1
    assert body["deliveries_by_status"]["pending"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        delivery_services.delivery_unassign(delivery=delivery, actor=dispatcher)
        fleet_services.vehicle_start_maintenance(vehicle=vehicle, reason="Oil", actor=dispatcher)
    body = dispatcher_client.get(URL).json()
    assert body["vehicles_by_status"]["in_maintenance"] == 1
    assert body["deliveries_by_status"]["pending"] == 1
