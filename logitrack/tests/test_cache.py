"""Versioned reads: what a request, a write and another process see."""

import itertools

import pytest
from django.core.cache import cache as django_cache
from django.core.signals import request_finished, request_started
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from logitrack import cache

pytestmark = pytest.mark.django_db

NAMESPACE = cache.STATS


@pytest.fixture
def builds():
    counter = itertools.count(1)
    return lambda: next(counter)


@pytest.fixture
def in_a_request():
    request_started.send(sender=None)
    yield
    request_finished.send(sender=None)


def _bumped_elsewhere(namespace: str) -> None:
    """Another process's write: the version moves in the cache, not in this thread."""
    django_cache.incr(f"version:{namespace}")


def test_outside_a_request_every_read_sees_the_latest_version(builds):
    assert cache.cached(NAMESPACE, "k", builds) == 1
    assert cache.cached(NAMESPACE, "k", builds) == 1
    _bumped_elsewhere(NAMESPACE)
    assert cache.cached(NAMESPACE, "k", builds) == 2


def test_a_request_keeps_the_versions_it_read_first(builds, in_a_request):
    assert cache.cached(NAMESPACE, "k", builds) == 1
    _bumped_elsewhere(NAMESPACE)
    assert cache.cached(NAMESPACE, "k", builds) == 1  # as if read when the request began

    request_finished.send(sender=None)
    request_started.send(sender=None)
    assert cache.cached(NAMESPACE, "k", builds) == 2


def test_a_write_in_the_request_is_seen_by_its_later_reads(
    builds, in_a_request, django_capture_on_commit_callbacks
):
    assert cache.cached(NAMESPACE, "k", builds) == 1
    with django_capture_on_commit_callbacks(execute=True):
        cache.bump(NAMESPACE)
    assert cache.cached(NAMESPACE, "k", builds) == 2


def test_the_first_read_of_a_request_fetches_the_shared_versions_too(builds, in_a_request):
    for namespace in cache.SHARED:
        cache.cached(namespace, "warm-up", builds)
    request_finished.send(sender=None)
    request_started.send(sender=None)
    calls = []
    real_get_many = django_cache.get_many

    def counting_get_many(keys, *args, **kwargs):
        calls.append(list(keys))
        return real_get_many(keys, *args, **kwargs)

    django_cache.get_many = counting_get_many
    try:
        for namespace in cache.SHARED:
            cache.cached(namespace, "warm-up", builds)
    finally:
        del django_cache.get_many

    assert len(calls) == 1
    assert {f"version:{namespace}" for namespace in cache.SHARED} <= set(calls[0])


def test_a_warm_list_request_costs_two_cache_round_trips(dispatcher, monkeypatch):
    """The throttle's count, then one read of the versions (with the account's)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(dispatcher)}")
    assert client.get("/api/v1/deliveries/").status_code == 200
    assert client.get("/api/v1/deliveries/").status_code == 200
    calls, depth = [], [0]

    def counting(name, real):
        def call(*args, **kwargs):
            if not depth[0]:  # not a call made inside another (locmem's get_many)
                calls.append(name)
            depth[0] += 1
            try:
                return real(*args, **kwargs)
            finally:
                depth[0] -= 1

        return call

    for name in ("get", "get_many", "set", "add", "incr"):
        monkeypatch.setattr(django_cache, name, counting(name, getattr(django_cache, name)))

    assert client.get("/api/v1/deliveries/").status_code == 200

    reads = [name for name in calls if name != "incr"]
    assert reads == ["get_many"]
