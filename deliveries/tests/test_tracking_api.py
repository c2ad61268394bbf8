"""Public tracking: anyone may look a code up, and learns the status and its history,
never who or where."""

import datetime as dt
import json

import pytest
from django.conf import settings
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.throttling import SimpleRateThrottle

from deliveries.models import DeliveryEvent, DeliveryStatus
from deliveries.tests.factories import DeliveryFactory, delivery_on_its_way, private_strings
from locations.tests.factories import LocationPointFactory
from services.deliveries import (
    delivery_complete,
    delivery_create,
)
from services.locations import delivery_eta_time

pytestmark = pytest.mark.django_db

TRACKING_FIELDS = {
    "tracking_code",
    "status",
    "scheduled_for",
    "window_start",
    "window_end",
    "delivered_at",
    "eta",
    "events",
}
TRACKING_EVENT_FIELDS = {"kind", "status", "at"}


def track_url(code: str) -> str:
    return f"/api/v1/track/{code}/"


@pytest.fixture
def delivered(dispatcher):
    """A delivery taken through its whole life, so it has a history."""
    delivery = delivery_on_its_way(actor=dispatcher)
    return delivery_complete(delivery=delivery, actor=delivery.driver)


def test_anyone_can_track_a_delivery(anon_client, delivered):
    response = anon_client.get(track_url(delivered.tracking_code))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == TRACKING_FIELDS
    assert body["tracking_code"] == delivered.tracking_code
    assert body["status"] == DeliveryStatus.DELIVERED
    assert body["delivered_at"] is not None
    assert body["scheduled_for"] is not None
    assert [event["status"] for event in body["events"]] == [
        DeliveryStatus.PENDING,
        DeliveryStatus.ASSIGNED,
        DeliveryStatus.IN_TRANSIT,
        DeliveryStatus.DELIVERED,
    ]
    assert all(set(event) == TRACKING_EVENT_FIELDS for event in body["events"])


def test_tracking_reveals_no_personal_data(anon_client, delivered):
    response = anon_client.get(track_url(delivered.tracking_code))

    body = response.json()
    # The random tracking code could spell anything; everything else must stay silent.
    text = json.dumps({k: v for k, v in body.items() if k != "tracking_code"}).lower()
    for secret in private_strings(delivered):
        assert secret.lower() not in text, secret
    keys = set(body) | {key for event in body["events"] for key in event}
    for word in ["recipient", "address", "driver", "vehicle", "actor", "note", "phone", "email"]:
        assert not any(word in key for key in keys), word


# A destination (Rotterdam) and where its driver is (Amsterdam): never to be shown.
DESTINATION = (51.9244, 4.4777)
POSITION = (52.3676, 4.9041)


@pytest.fixture
def on_its_way(driver):
    """In transit towards known coordinates, its driver's position known: it has an ETA."""
    delivery = DeliveryFactory(
        in_transit=True,
        driver=driver,
        destination_lat=DESTINATION[0],
        destination_lng=DESTINATION[1],
    )
    LocationPointFactory(driver=driver, lat=POSITION[0], lng=POSITION[1], speed_kmh=42.5)
    DeliveryEvent.objects.create(
        delivery=delivery,
        from_status=DeliveryStatus.ASSIGNED,
        to_status=DeliveryStatus.IN_TRANSIT,
        at=timezone.now(),
        actor=driver,
    )
    return delivery


def test_a_delivery_on_its_way_has_an_eta_and_nothing_it_came_from(anon_client, on_its_way):
    body = anon_client.get(track_url(on_its_way.tracking_code)).json()

    eta = dt.datetime.fromisoformat(body["eta"])
    assert eta == delivery_eta_time(delivery=on_its_way)
    assert eta > timezone.now()
    # Nothing but codes, statuses and times: no number at all, so no coordinate either.
    leaves = [value for key, value in body.items() if key != "events"]
    leaves += [value for event in body["events"] for value in event.values()]
    assert all(isinstance(value, str | None) for value in leaves), leaves
    assert [set(event) for event in body["events"]] == [TRACKING_EVENT_FIELDS]
    text = json.dumps(body)
    for word in ["based_on", "distance", "speed", "method", "lat", "lng", "position"]:
        assert word not in text, word


def test_no_eta_where_there_is_none(anon_client, delivered):
    body = anon_client.get(track_url(delivered.tracking_code)).json()

    assert body["eta"] is None


def test_tracking_costs_three_queries(anon_client, on_its_way, django_assert_num_queries):
    # The delivery, its events, its driver's recent positions.
    with django_assert_num_queries(3):
        assert anon_client.get(track_url(on_its_way.tracking_code)).status_code == 200


def test_the_schema_documents_every_field_and_the_eta_as_a_nullable_time():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    tracking = schema["components"]["schemas"]["Tracking"]
    assert set(tracking["properties"]) == TRACKING_FIELDS
    eta = tracking["properties"]["eta"]
    assert (eta["type"], eta["format"], eta["nullable"]) == ("string", "date-time", True)
    assert "time only" in eta["description"]
    assert "/track/{tracking_code}/" not in schema["paths"]  # the page is no API


def test_a_pending_delivery_is_tracked_without_delivery_time(anon_client):
    delivery = delivery_create(
        actor=None,
        origin_address="A",
        destination_address="B",
        recipient_name="C",
        weight_kg="1.00",
        scheduled_for=timezone.now() + dt.timedelta(days=1),
    )

    body = anon_client.get(track_url(delivery.tracking_code)).json()

    assert body["status"] == DeliveryStatus.PENDING
    assert body["delivered_at"] is None
    assert [event["status"] for event in body["events"]] == [DeliveryStatus.PENDING]


def test_lower_case_code_is_found(anon_client, delivered):
    response = anon_client.get(track_url(delivered.tracking_code.lower()))

    assert response.status_code == 200
    assert response.json()["tracking_code"] == delivered.tracking_code


def test_unknown_code_is_not_found(anon_client, delivered):
    response = anon_client.get(track_url("LTNOSUCHCODE99"))

    assert response.status_code == 404
    body = response.json()
    assert body["type"] == "client_error"
    assert [error["code"] for error in body["errors"]] == ["not_found"]
    assert delivered.tracking_code not in json.dumps(body)


@pytest.mark.parametrize(
    "header", ["Bearer not-a-token", "Bearer ", "Basic Zm9vOmJhcg==", "garbage"]
)
def test_a_garbage_authorization_header_does_not_matter(anon_client, delivered, header):
    anon_client.credentials(HTTP_AUTHORIZATION=header)

    response = anon_client.get(track_url(delivered.tracking_code))

    assert response.status_code == 200
    assert response.json()["tracking_code"] == delivered.tracking_code


def test_signed_in_users_can_track_too(driver_client, delivered):
    response = driver_client.get(track_url(delivered.tracking_code))

    assert response.status_code == 200


def test_tracking_is_throttled(anon_client, delivered):
    # ScopedRateThrottle copies the rates when the class is defined, so the configured
    # rate is what applies; it cannot be lowered per test.
    allowed, _ = SimpleRateThrottle.parse_rate(
        None, settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["track"]
    )
    url = track_url(delivered.tracking_code)

    statuses = [anon_client.get(url).status_code for _ in range(allowed)]
    refused = anon_client.get(url)

    assert statuses == [200] * allowed
    assert refused.status_code == 429
    assert refused.json()["type"] == "client_error"
    assert refused.json()["errors"][0]["code"] == "throttled"


def test_unknown_codes_count_towards_the_throttle(anon_client):
    allowed, _ = SimpleRateThrottle.parse_rate(
        None, settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["track"]
    )

    statuses = {anon_client.get(track_url(f"LTGUESS{n}")).status_code for n in range(allowed)}
    refused = anon_client.get(track_url("LTGUESSLAST"))

    assert statuses == {404}
    assert refused.status_code == 429
