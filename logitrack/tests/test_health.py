"""Liveness and readiness probes."""

import pytest

from logitrack import health

LIVE_URL = "/health/live/"
READY_URL = "/health/ready/"
BROKER_STATES_WITHOUT_OUTAGE = {"ok", "not_configured"}


class BrokenCache:
    """Stands in for a cache server that does not answer."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("cache unreachable")

        return fail


class SilentCache:
    """Accepts writes but never returns them, like a cache that drops every key."""

    def set(self, *args, **kwargs):
        return None

    def get(self, *args, **kwargs):
        return None

    def delete(self, *args, **kwargs):
        return None


class BrokenConnection:
    def cursor(self):
        raise ConnectionError("database unreachable")


def test_live_answers_200_without_credentials(anon_client):
    response = anon_client.get(LIVE_URL)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.django_db
def test_ready_reports_every_dependency_ok(anon_client):
    response = anon_client.get(READY_URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"database", "cache", "broker"}
    assert body["database"] == "ok"
    assert body["cache"] == "ok"
    assert body["broker"] in BROKER_STATES_WITHOUT_OUTAGE


@pytest.mark.django_db
@pytest.mark.parametrize("url", [LIVE_URL, READY_URL])
def test_probes_are_never_cached(anon_client, url):
    response = anon_client.get(url)

    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.parametrize("broken", [BrokenCache(), SilentCache()], ids=["raises", "loses_keys"])
def test_ready_is_503_naming_the_cache_when_it_is_down(anon_client, monkeypatch, broken):
    monkeypatch.setattr(health, "cache", broken)

    response = anon_client.get(READY_URL)

    assert response.status_code == 503
    body = response.json()
    assert body["cache"] == "down"
    assert body["database"] == "ok"


@pytest.mark.django_db
def test_ready_is_503_naming_the_database_when_it_is_down(anon_client, monkeypatch):
    monkeypatch.setattr(health, "connection", BrokenConnection())

    response = anon_client.get(READY_URL)

    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "down"
    assert body["cache"] == "ok"


@pytest.mark.django_db
def test_live_stays_200_while_a_dependency_is_down(anon_client, monkeypatch):
    monkeypatch.setattr(health, "cache", BrokenCache())

    assert anon_client.get(LIVE_URL).status_code == 200
