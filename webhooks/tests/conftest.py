import socket

import pytest

from services import webhooks as webhook_services
from webhooks.models import WebhookEndpoint


@pytest.fixture
def connections(monkeypatch):
    """Every address a socket of this process connects to during the test."""
    seen: list = []
    real = socket.socket.connect

    def connect(self, address):
        seen.append(address)
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return seen


@pytest.fixture(scope="session")
def httpserver_listen_address():
    """pytest-httpserver's receiver listens on 127.0.0.1 (no name to resolve)."""
    return ("127.0.0.1", 0)


@pytest.fixture
def local_receivers(settings):
    """Plain HTTP to 127.0.0.1 allowed, as for a receiver on the same machine."""
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture
def endpoint_for(httpserver, local_receivers, dispatcher):
    """``endpoint_for(events)``: an active endpoint posting to ``httpserver``'s ``/hook``."""

    def make(events=("*",), path="/hook") -> WebhookEndpoint:
        return webhook_services.webhook_endpoint_create(
            actor=dispatcher, url=httpserver.url_for(path), events=list(events)
        )

    return make
