"""The ETA of a delivery in transit, from its driver's last position to its destination."""

import datetime as dt

import pytest
from django.utils import timezone

from deliveries.tests.factories import DeliveryFactory
from locations.tests.factories import LocationPointFactory
from services.locations import NO_DESTINATION, NO_DRIVER, NO_POSITION

pytestmark = pytest.mark.django_db

AMSTERDAM = (52.3676, 4.9041)
ROTTERDAM = (51.9244, 4.4777)
AMSTERDAM_ROTTERDAM_KM = 57.1  # great-circle, as any atlas has it within 0.5 km


def eta_of(client, delivery):
    return client.get(f"/api/v1/deliveries/{delivery.pk}/eta/")


@pytest.fixture
def delivery(driver):
    lat, lng = ROTTERDAM
    return DeliveryFactory(in_transit=True, driver=driver, destination_lat=lat, destination_lng=lng)


def at(minutes_ago: float, *, lat=AMSTERDAM[0], lng=AMSTERDAM[1], **fields) -> dict:
    return {
        "lat": lat,
        "lng": lng,
        "recorded_at": timezone.now() - dt.timedelta(minutes=minutes_ago),
        **fields,
    }


def test_amsterdam_to_rotterdam_at_the_default_speed(dispatcher_client, delivery, driver):
    LocationPointFactory(driver=driver, **at(0))

    response = eta_of(dispatcher_client, delivery)

    assert response.status_code == 200
    body = response.json()
    assert body["distance_km"] == pytest.approx(AMSTERDAM_ROTTERDAM_KM, abs=0.5)
    assert (body["method"], body["speed_kmh"]) == ("default_speed", 30)
    hours = dt.datetime.fromisoformat(body["eta"]) - timezone.now()
    assert hours.total_seconds() / 3600 == pytest.approx(body["distance_km"] / 30, abs=0.01)
    assert (body["based_on"]["lat"], body["based_on"]["lng"]) == AMSTERDAM


def test_the_reported_speeds_of_the_last_15_minutes_are_averaged(
    dispatcher_client, delivery, driver
):
    LocationPointFactory(driver=driver, **at(40, speed_kmh=5))  # too old to count
    LocationPointFactory(driver=driver, **at(10, speed_kmh=80))
    LocationPointFactory(driver=driver, **at(5, speed_kmh=100))
    latest = LocationPointFactory(driver=driver, **at(0, speed_kmh=None))

    body = eta_of(dispatcher_client, delivery).json()

    assert (body["method"], body["speed_kmh"]) == ("recent_speed", 90)
    expected = latest.recorded_at + dt.timedelta(hours=body["distance_km"] / 90)
    assert abs(dt.datetime.fromisoformat(body["eta"]) - expected) < dt.timedelta(seconds=30)


def test_without_reported_speeds_the_track_gives_the_speed(dispatcher_client, delivery, driver):
    # 0.1° of latitude is 11.12 km; covered in 10 minutes: 66.7 km/h.
    LocationPointFactory(driver=driver, **at(10, lat=52.2676))
    LocationPointFactory(driver=driver, **at(0))

    body = eta_of(dispatcher_client, delivery).json()

    assert body["method"] == "recent_speed"
    assert body["speed_kmh"] == pytest.approx(66.7, abs=0.2)


def test_a_slow_driver_is_assumed_at_the_floor(dispatcher_client, delivery, driver, settings):
    settings.ETA_MIN_SPEED_KMH = 20
    LocationPointFactory(driver=driver, **at(3, speed_kmh=0))
    LocationPointFactory(driver=driver, **at(0, speed_kmh=4))

    body = eta_of(dispatcher_client, delivery).json()

    assert (body["method"], body["speed_kmh"]) == ("minimum_speed", 20)


def test_the_default_speed_is_a_setting(dispatcher_client, delivery, driver, settings):
    settings.ETA_DEFAULT_SPEED_KMH = 60
    LocationPointFactory(driver=driver, **at(0))

    body = eta_of(dispatcher_client, delivery).json()

    assert (body["method"], body["speed_kmh"]) == ("default_speed", 60)


def test_an_old_position_never_gives_an_eta_in_the_past(dispatcher_client, delivery, driver):
    LocationPointFactory(driver=driver, **at(600))  # ten hours ago: would have arrived

    body = eta_of(dispatcher_client, delivery).json()

    assert dt.datetime.fromisoformat(body["eta"]) >= timezone.now() - dt.timedelta(seconds=5)


def _unavailable(response) -> str:
    assert response.status_code == 409
    [error] = response.json()["errors"]
    assert error["code"] == "eta_unavailable"
    return error["detail"]


@pytest.mark.parametrize("status", ["assigned", "delivered", "failed"])
def test_no_eta_unless_in_transit(dispatcher_client, driver, status):
    delivery = DeliveryFactory(
        **{status: True}, driver=driver, destination_lat=51.9, destination_lng=4.4
    )
    LocationPointFactory(driver=driver, **at(0))

    assert status in _unavailable(eta_of(dispatcher_client, delivery))


def test_no_eta_without_a_destination(dispatcher_client, driver):
    delivery = DeliveryFactory(in_transit=True, driver=driver)
    LocationPointFactory(driver=driver, **at(0))

    assert NO_DESTINATION in _unavailable(eta_of(dispatcher_client, delivery))


def test_no_eta_without_a_position_of_its_driver(dispatcher_client, delivery, other_driver):
    LocationPointFactory(driver=other_driver, **at(0))

    assert NO_POSITION in _unavailable(eta_of(dispatcher_client, delivery))


def test_no_eta_without_a_driver(dispatcher_client):
    delivery = DeliveryFactory(
        in_transit=True, driver=None, destination_lat=51.9, destination_lng=4.4
    )

    assert NO_DRIVER in _unavailable(eta_of(dispatcher_client, delivery))


def test_its_driver_reads_the_eta_other_drivers_do_not(
    driver_client, client_for, other_driver, delivery, driver
):
    LocationPointFactory(driver=driver, **at(0))

    assert eta_of(driver_client, delivery).status_code == 200
    assert eta_of(client_for(other_driver), delivery).status_code == 404


def test_the_eta_costs_two_queries(dispatcher_client, delivery, driver, django_assert_num_queries):
    for minutes in range(20):
        LocationPointFactory(driver=driver, **at(minutes, speed_kmh=50))

    with django_assert_num_queries(2):  # the delivery, the driver's recent points
        assert eta_of(dispatcher_client, delivery).status_code == 200
