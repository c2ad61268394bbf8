"""Drivers send their positions; staff read the last known one of a driver or vehicle."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from deliveries.tests.factories import DeliveryFactory
from fleet.tests.factories import VehicleFactory
from locations.models import LocationPoint
from locations.serializers import IN_FUTURE, TOO_MANY_POINTS
from locations.tests.factories import LocationPointFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOCATIONS = "/api/v1/locations/"


def point(seconds_ago: float = 60, **overrides) -> dict:
    recorded_at = timezone.now() - dt.timedelta(seconds=seconds_ago)
    return {"lat": 52.37, "lng": 4.9, "recorded_at": recorded_at.isoformat(), **overrides}


def errors(response) -> list[tuple]:
    return [(error["attr"], error["code"]) for error in response.json()["errors"]]


# Sending points ----------------------------------------------------------------------


def test_a_batch_is_stored_in_its_order_with_the_optional_fields(driver_client, driver):
    points = [
        point(30, lat=52.1, accuracy_m=4.5, speed_kmh=42, heading=270),
        point(20, lat=52.2),
        point(10, lat=52.3, accuracy_m=None),
    ]

    response = driver_client.post(LOCATIONS, {"points": points})

    assert response.status_code == 202
    assert response.json() == {"accepted": 3}
    stored = list(LocationPoint.objects.order_by("id"))
    assert [(p.driver_id, p.lat, p.vehicle_id) for p in stored] == [
        (driver.pk, 52.1, None),
        (driver.pk, 52.2, None),
        (driver.pk, 52.3, None),
    ]
    assert (stored[0].accuracy_m, stored[0].speed_kmh, stored[0].heading) == (4.5, 42, 270)
    assert (stored[1].accuracy_m, stored[1].speed_kmh, stored[1].heading) == (None, None, None)
    assert all(p.received_at >= p.recorded_at for p in stored)


def test_points_recorded_offline_come_later_and_are_accepted_in_order(driver_client, driver):
    driver_client.post(LOCATIONS, {"points": [point(5)]})
    offline = [point(3600 * 3 - n) for n in range(3)]  # three hours old, sent now

    response = driver_client.post(LOCATIONS, {"points": offline})

    assert response.status_code == 202
    assert response.json() == {"accepted": 3}
    ids = list(LocationPoint.objects.order_by("id").values_list("recorded_at", flat=True))
    assert ids[1:] == sorted(ids[1:])
    assert ids[0] > ids[-1]


@pytest.mark.parametrize("size", [50, 500])
def test_a_batch_is_one_insert(driver_client, django_assert_max_num_queries, size):
    if size > 90 and connection.vendor == "sqlite":
        pytest.skip("SQLite takes 999 parameters a statement: Django splits larger inserts")
    with django_assert_max_num_queries(5) as captured:
        response = driver_client.post(LOCATIONS, {"points": [point(n) for n in range(size, 0, -1)]})

    assert response.status_code == 202
    assert response.json() == {"accepted": size}
    inserts = [q for q in captured.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    assert LocationPoint.objects.count() == size


def test_points_carry_the_vehicle_of_the_drivers_active_delivery(driver_client, driver):
    assigned = DeliveryFactory(assigned=True, driver=driver)
    in_transit = DeliveryFactory(in_transit=True, driver=driver)

    driver_client.post(LOCATIONS, {"points": [point()]})
    in_transit.status = "delivered"
    in_transit.delivered_at = timezone.now()
    in_transit.save()
    driver_client.post(LOCATIONS, {"points": [point()]})
    assigned.status = "cancelled"
    assigned.save()
    driver_client.post(LOCATIONS, {"points": [point()]})

    assert list(LocationPoint.objects.order_by("id").values_list("vehicle_id", flat=True)) == [
        in_transit.vehicle_id,
        assigned.vehicle_id,
        None,
    ]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("lat", 91, "invalid_coordinates"),
        ("lat", -90.0001, "invalid_coordinates"),
        ("lng", -181, "invalid_coordinates"),
        ("lng", 180.5, "invalid_coordinates"),
        ("lat", "NaN", "invalid"),
        ("lng", "4.9", "invalid"),
        ("lat", True, "invalid"),
        ("lat", None, "null"),
        ("speed_kmh", -1, "min_value"),
        ("heading", 361, "max_value"),
        ("accuracy_m", "5", "invalid"),
        ("recorded_at", "2030-01-01T10:00:00", "invalid"),
    ],
)
def test_a_bad_point_is_refused_naming_its_index(driver_client, field, value, code):
    points = [point(40), point(30), point(20), point(10, **{field: value})]

    response = driver_client.post(LOCATIONS, {"points": points})

    assert response.status_code == 400
    assert errors(response) == [(f"points.3.{field}", code)]
    assert not LocationPoint.objects.exists()


def test_a_number_too_large_for_a_float_is_off_the_globe(driver_client):
    body = '{"points": [{"lat": 1e400, "lng": 4.9, "recorded_at": "2025-01-01T10:00:00Z"}]}'

    response = driver_client.post(LOCATIONS, body, content_type="application/json")

    assert response.status_code == 400
    assert errors(response) == [("points.0.lat", "invalid_coordinates")]


def test_nan_as_a_json_literal_is_not_json(driver_client):
    body = '{"points": [{"lat": NaN, "lng": 4.9, "recorded_at": "2030-01-01T10:00:00Z"}]}'

    response = driver_client.post(LOCATIONS, body, content_type="application/json")

    assert response.status_code == 400
    assert errors(response) == [(None, "parse_error")]


def test_the_edges_of_the_globe_are_on_it(driver_client):
    points = [point(lat=90, lng=180), point(lat=-90, lng=-180), point(lat=0, lng=0)]

    assert driver_client.post(LOCATIONS, {"points": points}).status_code == 202


def test_a_point_from_the_future_is_refused(driver_client):
    in_two_minutes = point(-120)
    within_the_skew = point(-30)

    refused = driver_client.post(LOCATIONS, {"points": [within_the_skew, in_two_minutes]})
    accepted = driver_client.post(LOCATIONS, {"points": [within_the_skew]})

    assert refused.status_code == 400
    assert errors(refused) == [("points.1.recorded_at", "recorded_in_future")]
    assert refused.json()["errors"][0]["detail"] == IN_FUTURE
    assert accepted.status_code == 202
    assert LocationPoint.objects.count() == 1


def test_more_than_500_points_are_refused_as_bulk_calls_are(driver_client):
    response = driver_client.post(LOCATIONS, {"points": [point()] * 501})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"code": "too_many_items", "detail": TOO_MANY_POINTS, "attr": "points"}
    ]
    assert not LocationPoint.objects.exists()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"points": []}, [("points", "empty")]),
        ({}, [("points", "required")]),
        ({"points": {"lat": 1}}, [("points.non_field_errors", "not_a_list")]),
        ({"points": [[52.3, 4.9]]}, [("points.0.non_field_errors", "invalid")]),
    ],
)
def test_a_batch_that_is_not_a_list_of_points_is_refused(driver_client, body, expected):
    response = driver_client.post(LOCATIONS, body)

    assert response.status_code == 400
    assert errors(response) == expected


@pytest.mark.parametrize("who", ["dispatcher", "admin"])
def test_only_drivers_send_positions(client_for, who):
    staff = UserFactory(**{who: True})

    response = client_for(staff).post(LOCATIONS, {"points": [point()]})

    assert response.status_code == 403
    assert not LocationPoint.objects.exists()


def test_an_inactive_driver_or_no_one_may_not_send(client_for, anon_client):
    inactive = UserFactory(inactive=True)

    assert client_for(inactive).post(LOCATIONS, {"points": [point()]}).status_code in (401, 403)
    assert anon_client.post(LOCATIONS, {"points": [point()]}).status_code == 401
    assert not LocationPoint.objects.exists()


# The last known position -------------------------------------------------------------


def test_the_latest_position_of_a_driver_is_the_latest_recorded(dispatcher_client, driver):
    now = timezone.now()
    LocationPointFactory(driver=driver, lat=10, recorded_at=now - dt.timedelta(minutes=5))
    LocationPointFactory(driver=driver, lat=20, recorded_at=now - dt.timedelta(seconds=90))
    # Sent later, recorded earlier (offline): not the latest.
    LocationPointFactory(driver=driver, lat=30, recorded_at=now - dt.timedelta(hours=1))
    LocationPointFactory(lat=40, recorded_at=now)  # another driver

    response = dispatcher_client.get(f"/api/v1/users/{driver.pk}/location/")

    assert response.status_code == 200
    body = response.json()
    assert (body["lat"], body["lng"]) == (20, 4.9041)
    assert dt.datetime.fromisoformat(body["recorded_at"]) == now - dt.timedelta(seconds=90)
    assert 90 <= body["age_s"] <= 95


def test_the_latest_position_of_a_vehicle(dispatcher_client, driver, other_driver):
    vehicle = VehicleFactory()
    now = timezone.now()
    LocationPointFactory(
        driver=driver, vehicle=vehicle, lat=1, recorded_at=now - dt.timedelta(minutes=9)
    )
    LocationPointFactory(
        driver=other_driver, vehicle=vehicle, lat=2, recorded_at=now - dt.timedelta(minutes=3)
    )
    LocationPointFactory(driver=driver, lat=3, recorded_at=now)  # no vehicle then

    response = dispatcher_client.get(f"/api/v1/vehicles/{vehicle.pk}/location/")

    assert response.status_code == 200
    assert response.json()["lat"] == 2
    assert 180 <= response.json()["age_s"] <= 185


def test_no_known_position_is_404_no_location(dispatcher_client, driver):
    vehicle = VehicleFactory()

    for path in (
        f"/api/v1/users/{driver.pk}/location/",
        f"/api/v1/vehicles/{vehicle.pk}/location/",
    ):
        response = dispatcher_client.get(path)
        assert response.status_code == 404
        assert [e["code"] for e in response.json()["errors"]] == ["no_location"]


def test_an_unknown_driver_or_vehicle_is_404_not_found(dispatcher_client):
    for path in ("/api/v1/users/999999/location/", "/api/v1/vehicles/999999/location/"):
        response = dispatcher_client.get(path)
        assert response.status_code == 404
        assert [e["code"] for e in response.json()["errors"]] == ["not_found"]


def test_drivers_read_no_positions(driver_client, driver):
    LocationPointFactory(driver=driver, vehicle=VehicleFactory())
    vehicle_id = LocationPoint.objects.get().vehicle_id

    assert driver_client.get(f"/api/v1/users/{driver.pk}/location/").status_code == 403
    assert driver_client.get(f"/api/v1/vehicles/{vehicle_id}/location/").status_code == 403


@pytest.mark.parametrize("points", [1, 50])
def test_reading_a_position_costs_two_queries_however_many_points(
    dispatcher_client, driver, django_assert_num_queries, points
):
    vehicle = VehicleFactory()
    for n in range(points):
        LocationPointFactory(
            driver=driver, vehicle=vehicle, recorded_at=timezone.now() - dt.timedelta(seconds=n)
        )

    for path in (
        f"/api/v1/users/{driver.pk}/location/",
        f"/api/v1/vehicles/{vehicle.pk}/location/",
    ):
        with django_assert_num_queries(2):  # the driver or vehicle, then its latest point
            assert dispatcher_client.get(path).status_code == 200
