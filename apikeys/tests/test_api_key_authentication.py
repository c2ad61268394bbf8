"""``Authorization: Api-Key <key>``: what each role of key may reach, the key recorded
as the actor, refused keys, its last use, its own throttle and idempotency records."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apikeys.models import ApiKey, ApiKeyRole
from apikeys.tests.factories import issue_key
from deliveries.models import Delivery, DeliveryStatus
from deliveries.tests.factories import DeliveryFactory, delivery_body
from fleet.tests.factories import VehicleFactory
from logitrack import throttling

pytestmark = pytest.mark.django_db

DELIVERIES = "/api/v1/deliveries/"
VEHICLES = "/api/v1/vehicles/"
ME = "/api/v1/auth/me/"


def error_codes(response) -> list[str]:
    return [error["code"] for error in response.json()["errors"]]


def assign(client, delivery, driver):
    vehicle = VehicleFactory()
    return client.post(
        f"{DELIVERIES}{delivery.pk}/assign/", {"vehicle_id": vehicle.pk, "driver_id": driver.pk}
    )


# What each role reaches ------------------------------------------------------------


def test_a_readonly_key_reads_what_staff_read():
    DeliveryFactory.create_batch(2)
    VehicleFactory()
    client = issue_key(role=ApiKeyRole.READONLY).client()

    deliveries = client.get(DELIVERIES)
    vehicles = client.get(VEHICLES)
    stats = client.get("/api/v1/stats/")

    assert (deliveries.status_code, vehicles.status_code, stats.status_code) == (200, 200, 200)
    assert deliveries.json()["count"] == 2


def test_a_readonly_key_cannot_write(driver):
    delivery = DeliveryFactory()
    client = issue_key(role=ApiKeyRole.READONLY).client()

    for response in (
        client.post(DELIVERIES, delivery_body()),
        assign(client, delivery, driver),
        client.patch(f"{DELIVERIES}{delivery.pk}/", {"notes": "x"}),
        client.delete(f"{DELIVERIES}{delivery.pk}/"),
    ):
        assert response.status_code == 403
        assert error_codes(response) == ["api_key_read_only"]
    delivery.refresh_from_db()
    assert (Delivery.objects.count(), delivery.status) == (1, DeliveryStatus.PENDING)


def test_a_dispatcher_key_creates_and_assigns(driver):
    issued = issue_key(role=ApiKeyRole.DISPATCHER)
    client = issued.client()

    created = client.post(DELIVERIES, delivery_body())
    delivery = Delivery.objects.get(pk=created.json()["id"])
    assigned = assign(client, delivery, driver)

    assert (created.status_code, assigned.status_code) == (201, 200)
    assert assigned.json()["status"] == "assigned"


def test_the_key_is_the_actor_of_what_it_does(driver):
    issued = issue_key(role=ApiKeyRole.DISPATCHER)
    client = issued.client()
    delivery_id = client.post(DELIVERIES, delivery_body()).json()["id"]
    assign(client, Delivery.objects.get(pk=delivery_id), driver)

    events = client.get(f"{DELIVERIES}{delivery_id}/events/").json()

    actors = [event["actor"]["username"] for event in events]
    assert actors == [f"api-key:{issued.api_key.prefix}"] * 2


@pytest.mark.parametrize("role", ApiKeyRole.values)
def test_no_key_manages_users(role, driver):
    client = issue_key(role=role).client()

    listed = client.get("/api/v1/users/")
    one = client.get(f"/api/v1/users/{driver.pk}/")

    assert (listed.status_code, one.status_code) == (403, 403)
    assert error_codes(listed) == error_codes(one) == ["api_key_not_allowed"]


def test_a_dispatcher_key_cannot_create_users():
    client = issue_key(role=ApiKeyRole.DISPATCHER).client()

    response = client.post(
        "/api/v1/users/", {"username": "new", "password": "a-long-pass-phrase", "role": "driver"}
    )

    assert response.status_code == 403
    assert error_codes(response) == ["api_key_not_allowed"]


def test_a_keys_account_is_not_among_the_users(admin_client):
    issued = issue_key()

    listed = admin_client.get("/api/v1/users/", {"page_size": 100}).json()["results"]
    one = admin_client.get(f"/api/v1/users/{issued.api_key.user_id}/")

    assert issued.api_key.user_id not in [user["id"] for user in listed]
    assert one.status_code == 404


def test_a_keys_account_cannot_sign_in(anon_client):
    issued = issue_key()

    response = anon_client.post(
        "/api/v1/auth/token/",
        {"username": issued.api_key.user.username, "password": issued.secret},
    )

    assert response.status_code == 401


# Refused keys ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "code"),
    [({"revoked": True}, "api_key_revoked"), ({"expired": True}, "api_key_expired")],
)
def test_a_revoked_or_expired_key_is_401(state, code):
    response = issue_key(**state).client().get(VEHICLES)

    assert response.status_code == 401
    assert response.json() == {
        "type": "client_error",
        "errors": [{"code": code, "detail": response.json()["errors"][0]["detail"], "attr": None}],
    }
    assert response["WWW-Authenticate"]


def test_a_key_of_a_deactivated_account_is_401():
    issued = issue_key()
    type(issued.api_key.user).objects.filter(pk=issued.api_key.user_id).update(is_active=False)

    response = issued.client().get(VEHICLES)

    assert response.status_code == 401
    assert error_codes(response) == ["api_key_revoked"]


def test_the_right_prefix_with_a_wrong_secret_is_401():
    issued = issue_key()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {issued.api_key.prefix}.{'x' * 32}")

    response = client.get(VEHICLES)

    assert response.status_code == 401
    assert error_codes(response) == ["api_key_not_valid"]


# Last use --------------------------------------------------------------------------


def test_last_used_at_is_written_at_most_once_a_minute(django_assert_num_queries):
    issued = issue_key()
    client = issued.client()

    with django_assert_num_queries(2):  # the key with its account; last_used_at
        client.get(ME)
    first = ApiKey.objects.get(pk=issued.api_key.pk).last_used_at
    with django_assert_num_queries(1):  # the key only
        client.get(ME)
    assert first is not None
    assert ApiKey.objects.get(pk=issued.api_key.pk).last_used_at == first

    ApiKey.objects.filter(pk=issued.api_key.pk).update(last_used_at=first - dt.timedelta(minutes=1))
    client.get(ME)
    assert ApiKey.objects.get(pk=issued.api_key.pk).last_used_at > first


def test_last_used_at_is_shown_to_admins(admin_client):
    issued = issue_key()
    before = timezone.now()
    issued.client().get(ME)

    shown = admin_client.get(f"/api/v1/api-keys/{issued.api_key.pk}/").json()["last_used_at"]

    assert dt.datetime.fromisoformat(shown) >= before


# Throttle and idempotency, per key ----------------------------------------------------


def test_each_key_has_its_own_throttle(monkeypatch):
    monkeypatch.setitem(throttling.UserRateThrottle.THROTTLE_RATES, "user", "2/min")
    first, second = issue_key().client(), issue_key(name="Other").client()

    answers = [first.get(VEHICLES).status_code for _ in range(3)]
    other = second.get(VEHICLES)  # the same address, another key

    assert answers == [200, 200, 429]
    assert other.status_code == 200


def test_an_idempotent_create_with_a_key_replays_for_that_key_only():
    first, second = issue_key().client(), issue_key(name="Other").client()

    def create(client):
        return client.post(DELIVERIES, delivery_body(), HTTP_IDEMPOTENCY_KEY="order-1")

    original = create(first)
    replayed = create(first)
    other = create(second)

    assert (original.status_code, replayed.status_code, other.status_code) == (201, 201, 201)
    assert replayed["Idempotent-Replayed"] == "true"
    assert replayed.json() == original.json()
    assert "Idempotent-Replayed" not in other
    assert Delivery.objects.count() == 2
