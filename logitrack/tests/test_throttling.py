"""The window-counter throttles: N requests per period, then 429 until it ends."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from logitrack import throttling

pytestmark = pytest.mark.django_db

URL = "/api/v1/track/UNKNOWN/"  # public, answers 404 while the client is let through


def test_a_client_gets_its_rate_then_429_with_retry_after(monkeypatch):
    monkeypatch.setitem(throttling.AnonRateThrottle.THROTTLE_RATES, "anon", "3/min")
    client = APIClient()

    assert [client.get(URL).status_code for _ in range(3)] == [404, 404, 404]
    refused = client.get(URL)

    assert refused.status_code == 429
    assert refused.json()["errors"][0]["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 60


def test_when_the_window_ends_the_client_is_let_in_again(monkeypatch):
    monkeypatch.setitem(throttling.AnonRateThrottle.THROTTLE_RATES, "anon", "2/min")
    client = APIClient()
    client.get(URL)
    client.get(URL)
    assert client.get(URL).status_code == 429

    # The window's counter expires with the period.
    cache.delete(throttling.AnonRateThrottle.cache_format % {"scope": "anon", "ident": "127.0.0.1"})

    assert client.get(URL).status_code == 404


# Whose address counts ---------------------------------------------------------------

SIGN_IN_URL = "/api/v1/auth/token/"


def wrong_sign_in(client, n: int, **headers):
    return client.post(SIGN_IN_URL, {"username": f"guess{n}", "password": "wrong"}, **headers)


def test_a_rotating_forwarded_for_does_not_reset_the_sign_in_limit(monkeypatch):
    monkeypatch.setitem(throttling.ScopedRateThrottle.THROTTLE_RATES, "auth", "3/min")
    client = APIClient()

    statuses = [
        wrong_sign_in(client, n, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(4)
    ]

    assert statuses == [401, 401, 401, 429]


def test_a_rotating_forwarded_for_does_not_reset_the_tracking_limit(monkeypatch):
    monkeypatch.setitem(throttling.ScopedRateThrottle.THROTTLE_RATES, "track", "3/min")
    client = APIClient()

    statuses = [
        client.get(URL, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(4)
    ]

    assert statuses == [404, 404, 404, 429]


def test_without_a_trusted_proxy_the_socket_address_is_the_client(monkeypatch):
    monkeypatch.setitem(throttling.ScopedRateThrottle.THROTTLE_RATES, "auth", "2/min")
    client = APIClient()
    for n in range(2):
        wrong_sign_in(client, n, REMOTE_ADDR="198.51.100.1")

    assert wrong_sign_in(client, 2, REMOTE_ADDR="198.51.100.1").status_code == 429
    assert wrong_sign_in(client, 3, REMOTE_ADDR="198.51.100.2").status_code == 401


def test_behind_one_proxy_the_address_it_appended_counts(monkeypatch, trusted_proxies):
    trusted_proxies(1)
    monkeypatch.setitem(throttling.ScopedRateThrottle.THROTTLE_RATES, "auth", "3/min")
    client = APIClient()

    # The client forges what it likes in front; the proxy appends the address it saw.
    statuses = [
        wrong_sign_in(client, n, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 203.0.113.7").status_code
        for n in range(4)
    ]
    other_client = wrong_sign_in(client, 4, HTTP_X_FORWARDED_FOR="10.0.0.1, 203.0.113.8")

    assert statuses == [401, 401, 401, 429]
    assert other_client.status_code == 401


def test_behind_one_proxy_tracking_counts_the_address_it_appended(monkeypatch, trusted_proxies):
    trusted_proxies(1)
    monkeypatch.setitem(throttling.ScopedRateThrottle.THROTTLE_RATES, "track", "2/min")
    client = APIClient()

    statuses = [
        client.get(URL, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 203.0.113.7").status_code
        for n in range(3)
    ]
    other_client = client.get(URL, HTTP_X_FORWARDED_FOR="203.0.113.8")

    assert statuses == [404, 404, 429]
    assert other_client.status_code == 404
