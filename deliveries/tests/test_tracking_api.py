"""Public tracking: anyone may look a code up, and learns the status and its history,
never who or where."""

import datetime as dt
import json

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle

from deliveries.models import DeliveryStatus
from fleet.tests.factories import VehicleFactory
from services.deliveries import (
    delivery_assign,
    delivery_complete,
    delivery_create,
    delivery_start,
)
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TRACKING_FIELDS = {
    "tracking_code",
    "status",
    "scheduled_for",
    "window_start",
    "window_end",
    "delivered_at",
    "events",
}
TRACKING_EVENT_FIELDS = {"kind", "status", "at"}


def track_url(code: str) -> str:
    return f"/api/v1/track/{code}/"


@pytest.fixture
def delivered(dispatcher):
    """A delivery taken through its whole life, so it has a history."""
    driver = UserFactory(
        username="tracked-driver", first_name="Dora", last_name="Driverson", phone="+31699999999"
    )
    delivery = delivery_create(
        actor=dispatcher,
        origin_address="Origin Street 12, Utrecht",
        destination_address="Destination Lane 34, Leiden",
        recipient_name="Rita Recipient",
        recipient_phone="+31688888888",
        recipient_email="rita.recipient@example.com",
        weight_kg="4.00",
        scheduled_for=timezone.now() + dt.timedelta(days=1),
    )
    delivery = delivery_assign(
        delivery=delivery, vehicle=VehicleFactory(), driver=driver, actor=dispatcher
    )
    delivery = delivery_start(delivery=delivery, actor=driver)
    return delivery_complete(delivery=delivery, actor=driver)


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
    driver = delivered.driver
    for secret in [
        delivered.recipient_name,
        delivered.recipient_phone,
        delivered.recipient_email,
        delivered.origin_address,
        delivered.destination_address,
        "utrecht",
        "leiden",
        driver.username,
        driver.first_name,
        driver.last_name,
        driver.phone,
        delivered.vehicle.plate_number,
    ]:
        assert secret.lower() not in text, secret
    keys = set(body) | {key for event in body["events"] for key in event}
    for word in ["recipient", "address", "driver", "vehicle", "actor", "note", "phone", "email"]:
        assert not any(word in key for key in keys), word


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
