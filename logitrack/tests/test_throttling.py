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
