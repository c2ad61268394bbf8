"""The list endpoints cost a fixed number of queries whatever the page size: every
nested object is joined or prefetched by the selectors.

The clients force authentication, so signing in adds no query of its own.
"""

import pytest

from deliveries.tests.factories import DeliveryFactory
from fleet.tests.factories import VehicleFactory
from services.deliveries import delivery_assign
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SMALL_PAGE = 5
LARGE_PAGE = 50

# 1. COUNT(*) of the (driver-scoped) deliveries for the paginator;
# 2. the page of deliveries with their vehicle and driver joined in.
DELIVERY_LIST_QUERIES = 2
# 1. COUNT(*) of the vehicles; 2. the page of vehicles.
VEHICLE_LIST_QUERIES = 2
# 1. COUNT(*) of the users; 2. the page of users.
USER_LIST_QUERIES = 2
# 1. the delivery itself (scoped to what the user may see);
# 2. its events with their actors joined in.
EVENT_LIST_QUERIES = 2


def make_deliveries(count: int, **traits) -> None:
    """``count`` deliveries, each with its own vehicle and driver when ``traits`` ask."""
    for _ in range(count):
        DeliveryFactory(**traits)


def get_page(client, url: str, rows: int, django_assert_num_queries, expected: int) -> dict:
    with django_assert_num_queries(expected):
        response = client.get(url, {"page_size": rows})
    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == rows
    return body


@pytest.mark.parametrize("rows", [SMALL_PAGE, LARGE_PAGE])
def test_delivery_list_for_staff(dispatcher_client, django_assert_num_queries, rows):
    make_deliveries(rows, assigned=True)
    make_deliveries(1)  # an unassigned one: vehicle and driver are null

    body = get_page(
        dispatcher_client,
        "/api/v1/deliveries/",
        rows,
        django_assert_num_queries,
        DELIVERY_LIST_QUERIES,
    )

    assert [row["vehicle"] is None for row in body["results"]].count(True) == 1


@pytest.mark.parametrize("rows", [SMALL_PAGE, LARGE_PAGE])
def test_delivery_list_for_a_driver(driver_client, driver, django_assert_num_queries, rows):
    for _ in range(rows):
        DeliveryFactory(assigned=True, driver=driver)
    make_deliveries(2, assigned=True)  # someone else's

    body = get_page(
        driver_client,
        "/api/v1/deliveries/",
        rows,
        django_assert_num_queries,
        DELIVERY_LIST_QUERIES,
    )

    assert body["count"] == rows
    assert {row["driver"]["id"] for row in body["results"]} == {driver.pk}


@pytest.mark.parametrize("rows", [SMALL_PAGE, LARGE_PAGE])
def test_vehicle_list(driver_client, django_assert_num_queries, rows):
    VehicleFactory.create_batch(rows)

    get_page(
        driver_client, "/api/v1/vehicles/", rows, django_assert_num_queries, VEHICLE_LIST_QUERIES
    )


@pytest.mark.parametrize("rows", [SMALL_PAGE, LARGE_PAGE])
def test_user_list(dispatcher_client, django_assert_num_queries, rows):
    UserFactory.create_batch(rows - 1)  # plus the dispatcher

    get_page(
        dispatcher_client, "/api/v1/users/", rows, django_assert_num_queries, USER_LIST_QUERIES
    )


@pytest.mark.parametrize("event_count", [2, 10])
def test_delivery_events(dispatcher_client, django_assert_num_queries, event_count):
    vehicle = VehicleFactory()
    delivery = DeliveryFactory()
    # Each event by a different actor, so no row can reuse another's lookup.
    for _ in range(event_count):
        delivery = delivery_assign(
            delivery=delivery, vehicle=vehicle, driver=None, actor=UserFactory(dispatcher=True)
        )

    with django_assert_num_queries(EVENT_LIST_QUERIES):
        response = dispatcher_client.get(f"/api/v1/deliveries/{delivery.pk}/events/")

    assert response.status_code == 200
    events = response.json()
    assert len(events) == event_count
    assert len({event["actor"]["id"] for event in events}) == event_count


@pytest.mark.parametrize("event_count", [2, 10])
def test_delivery_events_for_its_driver(
    driver_client, driver, django_assert_num_queries, event_count
):
    vehicle = VehicleFactory()
    delivery = DeliveryFactory()
    for _ in range(event_count):
        delivery = delivery_assign(
            delivery=delivery, vehicle=vehicle, driver=driver, actor=UserFactory(dispatcher=True)
        )

    with django_assert_num_queries(EVENT_LIST_QUERIES):
        response = driver_client.get(f"/api/v1/deliveries/{delivery.pk}/events/")

    assert response.status_code == 200
    assert len(response.json()) == event_count
