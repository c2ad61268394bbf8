"""Redis paused (it accepts connections but never answers): each server process pays one
timeout, then skips Redis for a while; what was written meanwhile is visible once Redis
answers again, and nothing is lost."""

import os
import signal
import statistics
import time

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache as django_cache

from deliveries.tests.factories import DeliveryFactory
from fleet.tests.factories import VehicleFactory
from logitrack import breaker, cache
from logitrack.celery import enqueue
from logitrack.settings import redis_cache as redis_cache_settings

pytestmark = pytest.mark.django_db

RETRY_AFTER = 0.5  # seconds a failed Redis is skipped, short for the test
TIMEOUT = django_settings.REDIS_TIMEOUT


@pytest.fixture
def stalled_redis(settings, redis_server):
    """The cache on a Redis of the test's own, which ``pause()`` and ``resume()``."""
    settings.CACHES = {"default": redis_cache_settings(redis_server.url)}
    settings.REDIS_RETRY_AFTER = RETRY_AFTER
    pid = redis_server.process.pid

    class Control:
        url = redis_server.url

        @staticmethod
        def pause():
            os.kill(pid, signal.SIGSTOP)

        @staticmethod
        def resume():
            os.kill(pid, signal.SIGCONT)

    yield Control
    os.kill(pid, signal.SIGCONT)


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def test_requests_stay_fast_while_redis_is_paused(
    stalled_redis, dispatcher_client, settings, monkeypatch
):
    settings.REDIS_RETRY_AFTER = 30  # longer than the test: one wait for the whole pause
    # Every wait for Redis ends in the breaker's ``failed`` (a timeout); counted, as the
    # wall time of a call on a busy machine would also count waits for the CPU.
    waits: list[BaseException] = []
    failed = breaker.CircuitBreaker.failed
    monkeypatch.setattr(
        breaker.CircuitBreaker, "failed", lambda self, exc: (waits.append(exc), failed(self, exc))
    )
    vehicle = VehicleFactory()
    delivery = DeliveryFactory()
    calls = {
        "list": lambda: dispatcher_client.get("/api/v1/deliveries/"),
        "detail": lambda: dispatcher_client.get(f"/api/v1/deliveries/{delivery.pk}/"),
        "vehicle": lambda: dispatcher_client.get(f"/api/v1/vehicles/{vehicle.pk}/"),
        "edit": lambda: dispatcher_client.patch(
            f"/api/v1/vehicles/{vehicle.pk}/", {"make": "Renault"}
        ),
    }
    for call in calls.values():
        assert call().status_code == 200  # warm
    stalled_redis.pause()

    seconds = {name: [] for name in calls}
    for _ in range(5):
        for name, call in calls.items():
            response, took = timed(call)
            assert response.status_code == 200, (name, response.content)
            seconds[name].append(took)

    medians = {name: statistics.median(values) for name, values in seconds.items()}
    assert max(medians.values()) < 0.3, medians
    # A process waits for Redis once per REDIS_RETRY_AFTER, not once per call.
    assert len(waits) <= 1, (waits, seconds)


def test_readiness_says_down_within_a_second(stalled_redis, client):
    assert client.get("/health/ready/").status_code == 200
    stalled_redis.pause()

    response, took = timed(lambda: client.get("/health/ready/"))

    assert response.status_code == 503
    assert response.json()["cache"] == "down"
    assert took < 1.0


def test_a_write_during_the_pause_is_seen_once_redis_answers_again(stalled_redis):
    builds = iter(range(1, 100))

    def read():
        return cache.cached(cache.STATS, "k", lambda: next(builds))

    assert read() == 1
    assert read() == 1  # cached
    stalled_redis.pause()
    cache.bump(cache.STATS, immediately=True)  # cannot reach Redis: lost for now
    assert read() == 2  # Redis skipped: built afresh
    stalled_redis.resume()

    after = [read()]
    deadline = time.monotonic() + 10
    while (len(after) < 3 or len(set(after[-3:])) > 1) and time.monotonic() < deadline:
        time.sleep(RETRY_AFTER / 5)
        after.append(read())

    assert 1 not in after, "the entry cached before the pause was served again"
    assert len(set(after[-3:])) == 1, f"not cached again after the pause: {after}"


def test_an_account_changed_during_the_pause_is_refused_once_redis_answers(stalled_redis, driver):
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import AccessToken

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(driver)}")
    assert client.get("/api/v1/auth/me/").status_code == 200
    stalled_redis.pause()
    type(driver).objects.filter(pk=driver.pk).update(is_active=False)  # no signal: a
    cache.bump(cache.user_namespace(driver.pk), immediately=True)  # lost with the pause
    stalled_redis.resume()
    time.sleep(RETRY_AFTER)

    statuses = [client.get("/api/v1/auth/me/").status_code for _ in range(3)]

    assert statuses == [401, 401, 401]


def test_a_task_is_not_waited_for_while_the_broker_is_paused(stalled_redis, broker):
    from deliveries.tasks import sweep_notifications

    assert django_cache.get("anything") is None  # the cache's breaker knows the address
    stalled_redis.pause()

    outcomes = [timed(lambda: enqueue(sweep_notifications)) for _ in range(5)]

    assert [sent for sent, _ in outcomes] == [False] * 5
    timeout = django_settings.CELERY_BROKER_TRANSPORT_OPTIONS["socket_timeout"]
    assert sum(took for _, took in outcomes) < 2 * timeout + 0.5, outcomes
