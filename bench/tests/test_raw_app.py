"""The raw app answers the delivery list with the body LogiTrack's API gives."""

import datetime as dt

import pytest
from django.db import connection

from deliveries.models import DeliveryStatus
from deliveries.tests.factories import DeliveryFactory

pytest.importorskip("orjson", reason="the raw app encodes with orjson (requirements-bench.txt)")

from bench import raw_app  # noqa: E402

LIST = "/api/v1/deliveries/"
TIME_FIELDS = frozenset({"scheduled_for", "created_at", "updated_at", "delivered_at"})

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the raw app speaks to PostgreSQL through psycopg2 (run with DATABASE_URL)",
)


def call(app, path: str, query: str = "", method: str = "GET") -> tuple[str, dict]:
    """One request straight through the WSGI interface."""
    import json

    answer = {}

    def start_response(status, headers):
        answer["status"] = status
        answer["headers"] = dict(headers)

    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "wsgi.url_scheme": "http",
        "HTTP_HOST": "testserver",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
    }
    body = b"".join(app(environ, start_response))
    assert answer["headers"]["Content-Type"] == "application/json"
    assert int(answer["headers"]["Content-Length"]) == len(body)
    return answer["status"], json.loads(body)


def comparable(value):
    """The JSON with its times parsed, so "…Z" and "…+00:00" compare equal."""
    if isinstance(value, dict):
        return {
            key: dt.datetime.fromisoformat(item)
            if key in TIME_FIELDS and isinstance(item, str)
            else comparable(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [comparable(item) for item in value]
    return value


@pytest.fixture
def app(transactional_db):
    """The raw app on the test database (committed rows: it has its own connection)."""
    import psycopg2

    settings = connection.settings_dict

    def connect():
        return psycopg2.connect(
            dbname=settings["NAME"],
            user=settings["USER"],
            password=settings["PASSWORD"],
            host=settings["HOST"],
            port=settings["PORT"],
        )

    apps = []

    def make(count: str = raw_app.COUNT_EXACT):
        apps.append(raw_app.RawDeliveryList(connect, count=count))
        return apps[-1]

    yield make
    for each in apps:
        each.close()


@pytest.fixture
def deliveries(transactional_db):
    made = [DeliveryFactory(assigned=True) for _ in range(3)]
    made += [DeliveryFactory(in_transit=True) for _ in range(2)]
    made += [DeliveryFactory(delivered=True), DeliveryFactory(), DeliveryFactory()]
    return made


@on_postgresql
def test_list_pages_match_the_api(app, deliveries, dispatcher_client):
    raw = app()
    status, first = call(raw, LIST, "page_size=5")
    assert status == "200 OK"
    api_first = dispatcher_client.get(LIST, {"page_size": 5}).json()
    assert first["count"] == api_first["count"] == len(deliveries)
    assert comparable(first["results"]) == comparable(api_first["results"])
    assert first["previous"] is None
    assert first["next"] == "http://testserver/api/v1/deliveries/?page=2&page_size=5"

    status, second = call(raw, LIST, "page=2&page_size=5")
    api_second = dispatcher_client.get(LIST, {"page": 2, "page_size": 5}).json()
    assert comparable(second["results"]) == comparable(api_second["results"])
    assert len(second["results"]) == len(deliveries) - 5
    assert second["next"] is None
    assert second["previous"] == "http://testserver/api/v1/deliveries/?page_size=5"


@on_postgresql
def test_nested_vehicle_and_driver_or_null(app, deliveries):
    status, body = call(app(), LIST, "page_size=100")
    by_id = {item["id"]: item for item in body["results"]}
    assigned = deliveries[0]
    item = by_id[assigned.pk]
    assert item["vehicle"]["plate_number"] == assigned.vehicle.plate_number
    assert item["vehicle"]["capacity_kg"] == f"{assigned.vehicle.capacity_kg:.2f}"
    assert item["driver"] == {
        "id": assigned.driver.pk,
        "username": assigned.driver.username,
        "first_name": assigned.driver.first_name,
        "last_name": assigned.driver.last_name,
        "phone": assigned.driver.phone,
    }
    assert item["weight_kg"] == f"{assigned.weight_kg:.2f}"
    pending = deliveries[-1]
    assert by_id[pending.pk]["vehicle"] is None
    assert by_id[pending.pk]["driver"] is None


@on_postgresql
def test_status_filter_matches_the_api(app, deliveries, dispatcher_client):
    status, body = call(app(), LIST, "status=in_transit&page_size=50")
    api = dispatcher_client.get(LIST, {"status": "in_transit", "page_size": 50}).json()
    assert body["count"] == 2
    assert {item["status"] for item in body["results"]} == {DeliveryStatus.IN_TRANSIT}
    assert comparable(body["results"]) == comparable(api["results"])


@on_postgresql
def test_estimated_count_keeps_the_page(app, deliveries):
    exact = call(app(), LIST, "page_size=4")[1]
    estimated = call(app(raw_app.COUNT_ESTIMATE), LIST, "page_size=4")[1]
    assert isinstance(estimated["count"], int)
    assert estimated["count"] >= 0
    assert estimated["results"] == exact["results"]
    assert estimated["next"] == exact["next"]


@on_postgresql
def test_refusals(app, deliveries):
    raw = app()
    assert call(raw, LIST, "page=99&page_size=5")[0] == "404 Not Found"
    assert call(raw, LIST, "page=zero")[0] == "404 Not Found"
    assert call(raw, LIST, "status=lost")[0] == "400 Bad Request"
    assert call(raw, "/api/v1/vehicles/")[0] == "404 Not Found"
    assert call(raw, LIST, method="POST")[0] == "405 Method Not Allowed"
    assert call(raw, raw_app.LIVE_PATH)[0] == "200 OK"


def test_knows_every_delivery_status():
    assert set(DeliveryStatus.values) == raw_app.STATUSES


@pytest.mark.parametrize(
    ("asked", "given"),
    [(None, 25), ("10", 10), ("100", 100), ("500", 100), ("0", 25), ("x", 25)],
)
def test_page_size_follows_the_api(asked, given):
    assert raw_app.page_size(asked) == given


def test_links_keep_the_other_parameters_sorted():
    url = "http://h/api/v1/deliveries/?status=b&page_size=5&status=a"
    assert raw_app.with_page(url, 3) == (
        "http://h/api/v1/deliveries/?page=3&page_size=5&status=b&status=a"
    )
    assert raw_app.with_page(url + "&page=2", 1) == (
        "http://h/api/v1/deliveries/?page_size=5&status=b&status=a"
    )


def test_times_in_utc_end_in_z():
    moment = dt.datetime(2026, 1, 2, 3, 4, 5, 678900, tzinfo=dt.UTC)
    assert raw_app.dumps({"at": moment}) == b'{"at":"2026-01-02T03:04:05.678900Z"}'
