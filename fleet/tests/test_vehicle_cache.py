"""Vehicle reads come from the cache, and every write path invalidates them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fleet.tests.factories import VehicleFactory
from services import fleet as fleet_services

pytestmark = pytest.mark.django_db

LIST = "/api/v1/vehicles/"


def _plates(client) -> list[str]:
    return [v["plate_number"] for v in client.get(LIST).json()["results"]]


def test_a_repeated_read_does_not_touch_the_database(driver_client):
    vehicle = VehicleFactory()
    driver_client.get(LIST)
    driver_client.get(f"{LIST}{vehicle.pk}/")

    with CaptureQueriesContext(connection) as queries:
        listed = driver_client.get(LIST)
        detail = driver_client.get(f"{LIST}{vehicle.pk}/")

    assert (listed.status_code, detail.status_code) == (200, 200)
    assert listed.json()["results"][0]["id"] == vehicle.pk
    assert len(queries) == 0


def test_the_page_and_filters_are_part_of_the_key(driver_client):
    VehicleFactory(plate_number="AAA111", vehicle_type="van")
    VehicleFactory(plate_number="BBB222", vehicle_type="truck")
    assert _plates(driver_client) == ["AAA111", "BBB222"]
    trucks = driver_client.get(LIST, {"vehicle_type": "truck"}).json()["results"]
    assert [v["plate_number"] for v in trucks] == ["BBB222"]


API_WRITES = {
    "create": lambda c, v: c.post(
        LIST,
        {
            "plate_number": "NEW001",
            "make": "Iveco",
            "model": "Daily",
            "year": 2023,
            "vehicle_type": "van",
            "capacity_kg": "900.00",
        },
    ),
    "update": lambda c, v: c.patch(f"{LIST}{v.pk}/", {"make": "Renamed"}),
    "delete": lambda c, v: c.delete(f"{LIST}{v.pk}/"),
    "maintenance start": lambda c, v: c.post(
        f"{LIST}{v.pk}/maintenance/start/", {"reason": "Brakes"}
    ),
}


@pytest.mark.parametrize("write", API_WRITES.values(), ids=API_WRITES.keys())
def test_every_api_write_shows_on_the_next_read(
    write, dispatcher_client, django_capture_on_commit_callbacks
):
    vehicle = VehicleFactory()
    before = dispatcher_client.get(LIST).json()
    detail_before = dispatcher_client.get(f"{LIST}{vehicle.pk}/").json()

    with django_capture_on_commit_callbacks(execute=True):
        assert write(dispatcher_client, vehicle).status_code in (200, 201, 204)

    after = dispatcher_client.get(LIST).json()
    assert after != before
    if write is not API_WRITES["create"]:  # a new vehicle leaves the old one as it was
        detail_after = dispatcher_client.get(f"{LIST}{vehicle.pk}/")
        assert detail_after.status_code == 404 or detail_after.json() != detail_before


def test_maintenance_end_shows_on_the_next_read(
    dispatcher, dispatcher_client, django_capture_on_commit_callbacks
):
    vehicle = VehicleFactory()
    with django_capture_on_commit_callbacks(execute=True):
        fleet_services.vehicle_start_maintenance(vehicle=vehicle, reason="Tyres", actor=dispatcher)
    assert dispatcher_client.get(f"{LIST}{vehicle.pk}/").json()["status"] == "in_maintenance"

    with django_capture_on_commit_callbacks(execute=True):
        dispatcher_client.post(f"{LIST}{vehicle.pk}/maintenance/end/")

    assert dispatcher_client.get(f"{LIST}{vehicle.pk}/").json()["status"] == "available"


def test_a_service_write_outside_the_api_shows_on_the_next_read(
    driver_client, django_capture_on_commit_callbacks
):
    vehicle = VehicleFactory(make="Ford")
    assert driver_client.get(f"{LIST}{vehicle.pk}/").json()["make"] == "Ford"

    with django_capture_on_commit_callbacks(execute=True):
        fleet_services.vehicle_update(vehicle=vehicle, actor=None, make="Mercedes")

    assert driver_client.get(f"{LIST}{vehicle.pk}/").json()["make"] == "Mercedes"


def test_a_rolled_back_write_does_not_invalidate(driver_client, django_capture_on_commit_callbacks):
    from logitrack import cache

    vehicle = VehicleFactory()
    driver_client.get(LIST)
    version = cache.namespace_version(cache.VEHICLES)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        fleet_services.vehicle_update(vehicle=vehicle, actor=None, make="Never")

    assert callbacks  # the bump waits for a commit that, here, never comes
    assert cache.namespace_version(cache.VEHICLES) == version
