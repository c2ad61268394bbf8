"""/health/ready/ checks the Celery broker for real."""

import pytest

pytestmark = pytest.mark.django_db


def test_ready_with_a_live_broker(client, broker):
    response = client.get("/health/ready/")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok", "broker": "ok"}


def test_not_ready_when_the_broker_stops(client, broker):
    broker.stop()
    response = client.get("/health/ready/")
    assert response.status_code == 503
    assert response.json()["broker"] == "down"


def test_broker_not_configured_when_tasks_run_in_process(client):
    response = client.get("/health/ready/")
    assert response.status_code == 200
    assert response.json()["broker"] == "not_configured"
