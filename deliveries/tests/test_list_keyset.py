"""Delivery list pages: the contract's shape, keyset cursors in next/previous, exact
counts, lean rows equal to the serializer's, and a cache that never serves stale or
someone else's page."""

import base64
import datetime as dt
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient
from rest_framework.utils.urls import remove_query_param, replace_query_param

from deliveries.models import Delivery
from deliveries.rendering import dumps, render, render_row
from deliveries.selectors import delivery_list_rows
from deliveries.serializers import DeliverySerializer
from deliveries.tests.factories import DeliveryFactory
from fleet.tests.factories import VehicleFactory
from logitrack.pagination import INVALID_CURSOR
from services import deliveries as delivery_services
from services import fleet as fleet_services
from services import users as user_services
from users.tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

URL = "/api/v1/deliveries/"


def _walk(client, url, params=None, *, direction="next"):
    """Every page from ``url`` following ``direction`` links; returns the pages."""
    pages = [client.get(url, params or {}).json()]
    while pages[-1][direction]:
        pages.append(client.get(pages[-1][direction]).json())
    return pages


def _ids(pages):
    return [row["id"] for page in pages for row in page["results"]]


@pytest.fixture
def thirty(db):
    """30 deliveries in all statuses, several sharing one created_at (ties)."""
    same_moment = timezone.now() - dt.timedelta(days=1)
    rows = []
    for index in range(30):
        trait = ["assigned", "in_transit", "delivered", "failed", "cancelled", None][index % 6]
        rows.append(DeliveryFactory(**({trait: True} if trait else {})))
    Delivery.objects.filter(pk__in=[d.pk for d in rows[5:15]]).update(created_at=same_moment)
    return rows


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"ordering": "scheduled_for"},
        {"ordering": "-status"},
        {"ordering": "created_at"},
        {"status": ["pending", "delivered"]},
        {"status": "assigned", "ordering": "-scheduled_for"},
    ],
    ids=["default", "scheduled", "-status", "created", "two statuses", "filtered+ordered"],
)
def test_next_links_visit_every_delivery_once_in_order(dispatcher_client, thirty, params):
    everything = dispatcher_client.get(URL, {**params, "page_size": 100}).json()
    expected = [row["id"] for row in everything["results"]]

    pages = _walk(dispatcher_client, URL, {**params, "page_size": 4})

    assert _ids(pages) == expected
    assert all(page["count"] == len(expected) for page in pages)
    assert all("cursor=" in page["next"] for page in pages[:-1])
    assert pages[0]["previous"] is None


def test_previous_links_walk_back_the_same_pages(dispatcher_client, thirty):
    forward = _walk(dispatcher_client, URL, {"page_size": 4})
    backward = _walk(dispatcher_client, forward[-1]["previous"], direction="previous")

    assert [p["results"] for p in reversed(backward)] == [p["results"] for p in forward[:-1]]
    assert backward[-1]["previous"] is None


def test_page_numbers_still_work_and_agree_with_the_cursors(dispatcher_client, thirty):
    walked = _walk(dispatcher_client, URL, {"page_size": 7})
    third = dispatcher_client.get(URL, {"page_size": 7, "page": 3}).json()

    assert third["results"] == walked[2]["results"]
    assert dispatcher_client.get(URL, {"page": 99}).status_code == 404


def test_links_keep_the_other_query_parameters_and_drop_page(dispatcher_client, thirty):
    query = "status=pending&status=assigned&status=in_transit&search=&page_size=2&page=2"
    body = dispatcher_client.get(f"{URL}?{query}").json()
    expected = remove_query_param(f"http://testserver{URL}?{query}", "page")

    for link in (body["next"], body["previous"]):
        cursor = parse_qs(urlsplit(link).query)["cursor"][0]
        assert link == replace_query_param(expected, "cursor", cursor)
        assert urlsplit(link).query.startswith("cursor=")  # sorted, as DRF writes them


def test_a_cursor_page_reads_no_skipped_rows(dispatcher_client, thirty):
    second = dispatcher_client.get(URL, {"page_size": 4}).json()["next"]
    with CaptureQueriesContext(connection) as queries:
        dispatcher_client.get(second)
    page_sql = [q["sql"] for q in queries if "LIMIT" in q["sql"]]
    assert page_sql and all("OFFSET" not in sql for sql in page_sql)


@pytest.mark.parametrize("cursor", ["nonsense", "W1siYSJdLCBmYWxzZV0="])
def test_a_bad_cursor_is_404(dispatcher_client, thirty, cursor):
    response = dispatcher_client.get(URL, {"cursor": cursor})
    assert response.status_code == 404
    assert response.json()["errors"][0]["detail"] == INVALID_CURSOR


def test_lean_rows_equal_the_serializer(thirty):
    queryset = Delivery.objects.select_related("vehicle", "driver").order_by("id")
    lean = [render_row(row) for row in delivery_list_rows(queryset[:100])]
    serialized = JSONRenderer().render(DeliverySerializer(queryset, many=True).data)
    assert json.loads(dumps(lean)) == json.loads(serialized)
    from_objects = [render(delivery) for delivery in queryset[:100]]
    assert json.loads(JSONRenderer().render(from_objects)) == json.loads(serialized)
    assert any(row["vehicle"] is None for row in lean)
    assert any(row["delivered_at"] for row in lean)


def _signed_in_client(user):
    client = APIClient()
    token = client.post(
        "/api/v1/auth/token/", {"username": user.username, "password": TEST_PASSWORD}
    ).json()["access"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


# With a real JWT, cold: 1. the signed-in user, 2. the COUNT, 3. the page, each cached
# after; warm: none.
COLD_QUERIES = 3
WARM_QUERIES = 0


@pytest.mark.parametrize("page_size", [10, 50, 100])
def test_queries_per_list_request_are_constant(dispatcher, django_assert_num_queries, page_size):
    DeliveryFactory.create_batch(3, assigned=True)
    client = _signed_in_client(dispatcher)

    with django_assert_num_queries(COLD_QUERIES):
        cold = client.get(URL, {"page_size": page_size})
    with django_assert_num_queries(WARM_QUERIES):
        warm = client.get(URL, {"page_size": page_size})

    assert cold.status_code == warm.status_code == 200
    assert warm.content == cold.content


def test_without_the_page_cache_every_request_reads_the_page(
    dispatcher, settings, django_assert_num_queries
):
    settings.LIST_CACHE = False
    DeliveryFactory.create_batch(3)
    client = _signed_in_client(dispatcher)
    client.get(URL)
    with django_assert_num_queries(1):  # the page; the user and the count stay cached
        client.get(URL)


def test_a_drivers_cached_page_is_never_served_to_someone_else(client_for, driver, other_driver):
    mine = DeliveryFactory(assigned=True, driver=driver)
    theirs = DeliveryFactory(assigned=True, driver=other_driver)

    assert [r["id"] for r in client_for(driver).get(URL).json()["results"]] == [mine.pk]
    assert [r["id"] for r in client_for(other_driver).get(URL).json()["results"]] == [theirs.pk]


WRITES = {
    "delivery created": lambda d, v, u: delivery_services.delivery_create(
        actor=u,
        origin_address="A",
        destination_address="B",
        recipient_name="New",
        weight_kg="1.00",
        scheduled_for=timezone.now(),
    ),
    "delivery moved": lambda d, v, u: delivery_services.delivery_cancel(
        delivery=d, reason="Changed plans", actor=u
    ),
    "delivery edited": lambda d, v, u: delivery_services.delivery_update(
        delivery=d, actor=u, recipient_name="Someone Else"
    ),
    "vehicle renamed": lambda d, v, u: fleet_services.vehicle_update(
        vehicle=v, actor=u, make="Renamed"
    ),
    "driver renamed": lambda d, v, u: user_services.user_update(
        user=d.driver, actor=u, first_name="Renamed"
    ),
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_every_write_shows_on_the_next_list_read(
    write, dispatcher, dispatcher_client, django_capture_on_commit_callbacks
):
    vehicle = VehicleFactory()
    delivery = DeliveryFactory(assigned=True, vehicle=vehicle)
    before = dispatcher_client.get(URL).json()
    assert dispatcher_client.get(URL).json() == before  # now served from the cache

    with django_capture_on_commit_callbacks(execute=True):
        write(delivery, vehicle, dispatcher)

    assert dispatcher_client.get(URL).json() != before


def test_the_total_count_survives_status_moves_but_not_creations(
    dispatcher, dispatcher_client, django_assert_num_queries, django_capture_on_commit_callbacks
):
    delivery = DeliveryFactory(assigned=True)
    dispatcher_client.get(URL)  # counts and caches

    with django_capture_on_commit_callbacks(execute=True):
        delivery_services.delivery_start(delivery=delivery, actor=dispatcher)
    with django_assert_num_queries(1):  # the page again, not the count
        moved = dispatcher_client.get(URL).json()
    assert (moved["count"], moved["results"][0]["status"]) == (1, "in_transit")

    with django_capture_on_commit_callbacks(execute=True):
        WRITES["delivery created"](delivery, None, dispatcher)
    assert dispatcher_client.get(URL).json()["count"] == 2
    with django_capture_on_commit_callbacks(execute=True):
        delivery_services.delivery_delete(
            delivery=Delivery.objects.get(recipient_name="New"), actor=dispatcher
        )
    assert dispatcher_client.get(URL).json()["count"] == 1


def test_filtering_by_status_does_not_sort_every_match(dispatcher_client, thirty):
    with CaptureQueriesContext(connection) as queries:
        response = dispatcher_client.get(URL, {"status": ["pending", "assigned"]})
    assert response.status_code == 200
    assert not any("DISTINCT" in q["sql"] for q in queries)


def test_write_responses_equal_the_serializer(dispatcher_client):
    delivery = DeliveryFactory()
    vehicle = VehicleFactory()
    response = dispatcher_client.post(
        f"{URL}{delivery.pk}/assign/", {"vehicle_id": vehicle.pk}, format="json"
    )

    assert response.status_code == 200
    delivery = Delivery.objects.select_related("vehicle", "driver").get(pk=delivery.pk)
    assert response.json() == json.loads(JSONRenderer().render(DeliverySerializer(delivery).data))
    assert response.json()["vehicle"]["id"] == vehicle.pk
    assert response.json()["status"] == "assigned"


def test_pages_of_one_shape_with_other_values_find_their_own_rows(dispatcher_client):
    """A page's statement is kept by the shape of its query: another value in the same
    shape (or another shape) still finds its own rows."""
    pending = DeliveryFactory.create_batch(2)
    assigned = DeliveryFactory.create_batch(3, assigned=True)

    def ids(params):
        return {row["id"] for row in dispatcher_client.get(URL, params).json()["results"]}

    assert ids({"status": "pending"}) == {d.pk for d in pending}
    assert ids({"status": "assigned"}) == {d.pk for d in assigned}
    assert ids({"status": ["pending", "assigned"]}) == {d.pk for d in pending + assigned}
    assert ids({"status": "pending"}) == {d.pk for d in pending}


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2025, 3, 4, 5, 6, 7, tzinfo=dt.UTC),  # no fraction
        dt.datetime(2025, 3, 4, 5, 6, 7, 120000, tzinfo=dt.UTC),  # trailing zeros
        dt.datetime(2025, 3, 4, 5, 6, 7, 5, tzinfo=dt.UTC),  # leading zeros
        dt.datetime(2025, 3, 4, 5, 6, 7, 999999, tzinfo=dt.UTC),
        dt.datetime(999, 12, 31, 23, 59, 59, 100, tzinfo=dt.UTC),  # a three-digit year
    ],
)
def test_lean_rows_write_times_and_decimals_as_the_serializer(moment):
    delivery = DeliveryFactory(delivered=True, weight_kg="10.50")
    Delivery.objects.filter(pk=delivery.pk).update(
        created_at=moment, delivered_at=moment, weight_kg="7.00"
    )
    delivery.vehicle.__class__.objects.filter(pk=delivery.vehicle_id).update(
        capacity_kg="1200.00", updated_at=moment
    )
    queryset = Delivery.objects.select_related("vehicle", "driver").filter(pk=delivery.pk)
    [lean] = [render_row(row) for row in delivery_list_rows(queryset[:1])]
    serialized = JSONRenderer().render(DeliverySerializer(queryset.get()).data)
    assert json.loads(dumps(lean)) == json.loads(serialized)
    assert json.loads(JSONRenderer().render(render(queryset.get()))) == json.loads(serialized)
    assert json.loads(serialized)["weight_kg"] == "7.00"


@pytest.mark.parametrize("traits", [{}, {"assigned": True}, {"delivered": True}])
def test_the_detail_equals_the_serializer(dispatcher_client, traits):
    delivery = DeliveryFactory(**traits, weight_kg="3.10")
    response = dispatcher_client.get(f"{URL}{delivery.pk}/")

    assert response.status_code == 200
    delivery = Delivery.objects.select_related("vehicle", "driver").get(pk=delivery.pk)
    assert response.json() == json.loads(JSONRenderer().render(DeliverySerializer(delivery).data))
    assert response.json()["weight_kg"] == "3.10"
    assert (response.json()["vehicle"] is None) == (not traits)


@pytest.mark.parametrize(
    "values",
    [
        ["not-a-date", 5],
        ["2025-01-01T00:00:00Z", "x"],
        [None, 5],
        [[1], 5],
        [{"a": 1}, 5],
    ],
    ids=["bad date", "bad id", "null", "list", "object"],
)
def test_a_cursor_with_values_of_the_wrong_kind_is_404(dispatcher_client, thirty, values):
    cursor = base64.urlsafe_b64encode(json.dumps([values, False]).encode()).decode()
    response = dispatcher_client.get(URL, {"cursor": cursor})
    assert response.status_code == 404
    assert response.json()["errors"][0]["detail"] == INVALID_CURSOR


def test_cursor_pages_ask_for_one_row_comparison(dispatcher_client, thirty):
    second = dispatcher_client.get(URL, {"page_size": 4}).json()["next"]
    with CaptureQueriesContext(connection) as queries:
        dispatcher_client.get(second)
    [page_sql] = [q["sql"] for q in queries if "LIMIT" in q["sql"]]
    assert '("deliveries_delivery"."created_at", "deliveries_delivery"."id") <' in page_sql
    assert " OR " not in page_sql


def test_mixed_directions_walk_every_delivery_once(dispatcher_client, thirty):
    params = {"ordering": "status,-created_at"}
    everything = dispatcher_client.get(URL, {**params, "page_size": 100}).json()
    expected = [row["id"] for row in everything["results"]]

    pages = _walk(dispatcher_client, URL, {**params, "page_size": 4})

    assert _ids(pages) == expected
    assert len(set(expected)) == 30
