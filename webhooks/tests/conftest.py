import socket

import pytest

from services import webhooks as webhook_services
from webhooks.models import WebhookEndpoint


@pytest.fixture(autouse=True)
def resolver(monkeypatch):
    """No test here asks DNS: ``resolver[name] = [addresses]`` says what a name resolves
    to; a numeric host (``127.1``, ``0x7f000001``, ``[::1]``) is read as the system reads
    it, without a query; any other name does not resolve."""
    names: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002
        if host in names:
            return [
                (
                    socket.AF_INET6 if ":" in address else socket.AF_INET,
                    socket.SOCK_STREAM,
                    socket.IPPROTO_TCP,
                    "",
                    (address, port, 0, 0) if ":" in address else (address, port),
                )
                for address in names[host]
            ]
        return real(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return names


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
