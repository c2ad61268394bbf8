"""A delivery's destination coordinates: optional, both or neither, on the globe."""

import pytest

from deliveries.models import Delivery
from deliveries.tests.factories import DeliveryFactory, delivery_body
from services.exceptions import DestinationIncomplete

pytestmark = pytest.mark.django_db

DELIVERIES = "/api/v1/deliveries/"


def codes(response) -> list[tuple]:
    return [(error["attr"], error["code"]) for error in response.json()["errors"]]


def test_created_with_a_destination_it_is_in_every_rendering(dispatcher_client):
    created = dispatcher_client.post(
        DELIVERIES, delivery_body(destination_lat=51.9244, destination_lng=4.4777)
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    detail = dispatcher_client.get(f"{DELIVERIES}{pk}/").json()
    listed = dispatcher_client.get(DELIVERIES).json()["results"][0]

    for body in (created.json(), detail, listed):
        assert (body["destination_lat"], body["destination_lng"]) == (51.9244, 4.4777)


def test_without_a_destination_both_are_null(dispatcher_client):
    created = dispatcher_client.post(DELIVERIES, delivery_body()).json()

    assert (created["destination_lat"], created["destination_lng"]) == (None, None)


@pytest.mark.parametrize(
    ("given", "missing"),
    [({"destination_lat": 52.0}, "destination_lng"), ({"destination_lng": 4.0}, "destination_lat")],
)
def test_one_coordinate_alone_is_refused(dispatcher_client, given, missing):
    response = dispatcher_client.post(DELIVERIES, delivery_body(**given))

    assert response.status_code == 400
    assert codes(response) == [(missing, DestinationIncomplete.code)]
    assert not Delivery.objects.exists()


@pytest.mark.parametrize(
    ("lat", "lng", "attr", "code"),
    [
        (91, 4, "destination_lat", "invalid_coordinates"),
        (52, -181, "destination_lng", "invalid_coordinates"),
        ("52.1", 4, "destination_lat", "invalid"),
    ],
)
def test_a_destination_off_the_globe_is_refused(dispatcher_client, lat, lng, attr, code):
    response = dispatcher_client.post(
        DELIVERIES, delivery_body(destination_lat=lat, destination_lng=lng)
    )

    assert response.status_code == 400
    assert codes(response) == [(attr, code)]


def test_an_update_may_move_one_coordinate_or_clear_both(dispatcher_client):
    delivery = DeliveryFactory(destination_lat=52.0, destination_lng=4.0)
    url = f"{DELIVERIES}{delivery.pk}/"

    moved = dispatcher_client.patch(url, {"destination_lat": 52.5})
    half_cleared = dispatcher_client.patch(url, {"destination_lng": None})
    cleared = dispatcher_client.patch(url, {"destination_lat": None, "destination_lng": None})

    assert (moved.json()["destination_lat"], moved.json()["destination_lng"]) == (52.5, 4.0)
    assert half_cleared.status_code == 400
    assert codes(half_cleared) == [("destination_lng", DestinationIncomplete.code)]
    assert (cleared.json()["destination_lat"], cleared.json()["destination_lng"]) == (None, None)


def test_drivers_do_not_set_destinations(driver_client, driver):
    delivery = DeliveryFactory(assigned=True, driver=driver)

    response = driver_client.patch(
        f"{DELIVERIES}{delivery.pk}/", {"destination_lat": 1, "destination_lng": 1}
    )

    assert response.status_code == 403
    delivery.refresh_from_db()
    assert delivery.destination_lat is None
