"""Redis stopped: nothing but speed degrades."""

import time

import pytest

from deliveries.tests.factories import DeliveryFactory
from fleet.tests.factories import VehicleFactory
from logitrack.settings import redis_cache as redis_cache_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_cache(settings, redis_server):
    settings.CACHES = {"default": redis_cache_settings(redis_server.url)}
    return redis_server


def test_reads_and_writes_work_with_redis_stopped(redis_cache, dispatcher_client, caplog):
    vehicle = VehicleFactory()
    DeliveryFactory()
    assert dispatcher_client.get("/api/v1/vehicles/").status_code == 200
    redis_cache.stop()

    started = time.monotonic()
    responses = [
        dispatcher_client.get("/api/v1/vehicles/"),
        dispatcher_client.get(f"/api/v1/vehicles/{vehicle.pk}/"),
        dispatcher_client.get("/api/v1/deliveries/"),
        dispatcher_client.get("/api/v1/stats/"),
        dispatcher_client.patch(f"/api/v1/vehicles/{vehicle.pk}/", {"make": "Still works"}),
    ]
    elapsed = time.monotonic() - started

    assert [r.status_code for r in responses] == [200, 200, 200, 200, 200]
    assert responses[-1].json()["make"] == "Still works"
    assert dispatcher_client.get(f"/api/v1/vehicles/{vehicle.pk}/").json()["make"] == (
        "Still works"
    )
    assert elapsed < 5, f"five requests took {elapsed:.1f}s with Redis down"
    assert any("Redis" in r.getMessage() for r in caplog.records), "no log line about Redis"


def test_sign_in_is_not_refused_when_the_throttle_cache_is_down(redis_cache, dispatcher):
    from rest_framework.test import APIClient

    from users.tests.factories import TEST_PASSWORD

    redis_cache.stop()
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": dispatcher.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 200


def test_readiness_reports_the_cache_down(redis_cache, client):
    assert client.get("/health/ready/").json()["cache"] == "ok"
    redis_cache.stop()

    response = client.get("/health/ready/")

    assert response.status_code == 503
    assert response.json()["cache"] == "down"
    assert response.json()["database"] == "ok"
