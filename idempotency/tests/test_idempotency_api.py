"""Idempotency-Key: a retried POST gets the first answer again and changes nothing."""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from deliveries.models import Delivery
from deliveries.tests.factories import delivery_body
from idempotency.models import IdempotentRequest
from services.idempotency import idempotency_purge
from users.tests.factories import UserFactory

DELIVERIES = "/api/v1/deliveries/"


def signed_in(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


def post(client, key, data, path=DELIVERIES):
    return client.post(path, data, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db
def test_a_repeat_replays_the_first_answer_and_changes_nothing(dispatcher):
    client = signed_in(dispatcher)

    first = post(client, "order-1001", delivery_body())
    again = post(client, "order-1001", delivery_body())

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Delivery.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_a_conflict(dispatcher):
    client = signed_in(dispatcher)
    post(client, "order-1002", delivery_body())

    response = post(client, "order-1002", delivery_body(recipient_name="Someone Else"))

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "idempotency_key_reused"
    assert Delivery.objects.count() == 1


@pytest.mark.django_db
def test_a_refusal_is_replayed_too(dispatcher):
    client = signed_in(dispatcher)

    first = post(client, "order-1003", delivery_body(weight_kg="lots"))
    again = post(client, "order-1003", delivery_body(weight_kg="lots"))

    assert first.status_code == again.status_code == 400
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_keys_belong_to_their_user(dispatcher):
    other = UserFactory(dispatcher=True, username="other-dispatcher")

    mine = post(signed_in(dispatcher), "shared-key", delivery_body())
    theirs = post(signed_in(other), "shared-key", delivery_body())

    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert Delivery.objects.count() == 2


@pytest.mark.django_db
def test_without_a_key_every_post_runs(dispatcher):
    client = signed_in(dispatcher)
    client.post(DELIVERIES, delivery_body(), format="json")
    client.post(DELIVERIES, delivery_body(), format="json")

    assert Delivery.objects.count() == 2
    assert not IdempotentRequest.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", " ", "x" * 256, "naïve", "tab\there"])
def test_a_malformed_key_is_refused(dispatcher, key):
    response = post(signed_in(dispatcher), key, delivery_body())

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_idempotency_key"
    assert not Delivery.objects.exists()


@pytest.mark.django_db
def test_sign_in_is_not_idempotent_and_anonymous_posts_are_refused_as_usual(dispatcher):
    anonymous = APIClient()

    response = post(anonymous, "k", delivery_body())

    assert response.status_code == 401
    assert not IdempotentRequest.objects.exists()


@pytest.mark.django_db
def test_expired_keys_are_purged_and_may_be_used_again(dispatcher):
    client = signed_in(dispatcher)
    post(client, "order-1004", delivery_body())
    IdempotentRequest.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    assert idempotency_purge() == 1
    assert post(client, "order-1004", delivery_body(recipient_name="New")).status_code == 201
    assert Delivery.objects.count() == 2


@pytest.mark.django_db
def test_an_action_is_idempotent_too(dispatcher, driver):
    from deliveries.tests.factories import DeliveryFactory
    from fleet.tests.factories import VehicleFactory

    delivery, vehicle = DeliveryFactory(), VehicleFactory()
    client = signed_in(dispatcher)
    path = f"{DELIVERIES}{delivery.pk}/assign/"
    data = {"vehicle_id": vehicle.pk, "driver_id": driver.pk}

    first = post(client, "assign-1", data, path=path)
    again = post(client, "assign-1", data, path=path)

    assert first.status_code == again.status_code == 200
    assert delivery.events.count() == 1  # assigned once, not twice


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two connections at once need PostgreSQL"
)
def test_twin_requests_racing_create_one_delivery(dispatcher):
    for round_no in range(20):
        key = f"race-{round_no}"
        barrier = threading.Barrier(2)

        def send(key=key, barrier=barrier):
            barrier.wait(timeout=10)
            try:
                return post(signed_in(dispatcher), key, delivery_body(notes=key))
            finally:
                connection.close()

        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(pool.map(lambda _: send(), range(2)))

        statuses = sorted(answer.status_code for answer in answers)
        assert statuses in ([201, 201], [201, 409]), statuses
        for answer in answers:
            if answer.status_code == 409:
                assert answer.json()["errors"][0]["code"] == "idempotency_key_in_progress"
        assert Delivery.objects.filter(notes=key).count() == 1
