"""Redis stopped: nothing but speed degrades."""

import time

import pytest
from rest_framework.test import APIClient

from deliveries.tests.factories import DeliveryFactory
from fleet.tests.factories import VehicleFactory
from logitrack.settings import redis_cache as redis_cache_settings
from logitrack.throttling import AnonRateThrottle, ScopedRateThrottle
from users.tests.factories import TEST_PASSWORD

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


# Throttles with Redis stopped ------------------------------------------------------------

TOKEN_URL = "/api/v1/auth/token/"


def _auth_calls(client_for, user):
    """Each ``auth``-scoped endpoint, called wrongly: (client, url, body, status)."""
    return {
        "token": (APIClient(), TOKEN_URL, {"username": user.username, "password": "no"}, 401),
        "refresh": (APIClient(), "/api/v1/auth/token/refresh/", {"refresh": "no"}, 401),
        "password": (
            client_for(user),
            "/api/v1/auth/password/",
            {"old_password": "no", "new_password": "another-long-passphrase-42"},
            400,
        ),
    }


@pytest.mark.parametrize("endpoint", ["token", "refresh", "password"])
def test_auth_endpoints_keep_a_per_process_limit_with_redis_stopped(
    redis_cache, monkeypatch, client_for, driver, endpoint
):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "3/min")
    client, url, body, status = _auth_calls(client_for, driver)[endpoint]
    redis_cache.stop()

    statuses = [client.post(url, body).status_code for _ in range(3)]
    refused = client.post(url, body)

    assert statuses == [status] * 3
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 60


def test_the_per_process_limit_is_per_client(redis_cache, monkeypatch, driver):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "2/min")
    client = APIClient()
    wrong = {"username": driver.username, "password": "no"}
    right = {"username": driver.username, "password": TEST_PASSWORD}
    redis_cache.stop()
    for _ in range(2):
        client.post(TOKEN_URL, wrong, REMOTE_ADDR="198.51.100.1")

    assert client.post(TOKEN_URL, right, REMOTE_ADDR="198.51.100.1").status_code == 429
    assert client.post(TOKEN_URL, right, REMOTE_ADDR="198.51.100.2").status_code == 200


def test_the_per_process_window_ends_with_its_period(redis_cache, monkeypatch, driver):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "1/s")
    client = APIClient()
    wrong = {"username": driver.username, "password": "no"}
    redis_cache.stop()
    assert client.post(TOKEN_URL, wrong).status_code == 401
    assert client.post(TOKEN_URL, wrong).status_code == 429

    time.sleep(1.1)

    assert client.post(TOKEN_URL, wrong).status_code == 401


def test_other_throttles_let_requests_through_with_redis_stopped(redis_cache, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "track", "2/min")
    monkeypatch.setitem(AnonRateThrottle.THROTTLE_RATES, "anon", "2/min")
    client = APIClient()
    redis_cache.stop()

    statuses = [client.get("/api/v1/track/UNKNOWN/").status_code for _ in range(5)]

    assert statuses == [404] * 5
