"""Where a webhook may be sent: an ``https://`` URL (plain ``http://`` only while
debugging or with ``WEBHOOK_ALLOW_HTTP``) whose host resolves only to public addresses
(unless ``WEBHOOK_ALLOW_PRIVATE``).

``resolve`` checks every address the host resolves to and returns the one to connect to,
so the sender connects to the address that was checked: a name that resolves elsewhere
a moment later (DNS rebinding) is never asked again.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from services.exceptions import WebhookUrlNotAllowed

HTTPS_ONLY = "only https:// URLs are accepted."
NO_HOST = "it names no host."
NO_CREDENTIALS = "it may not carry a user name or password."
BAD_PORT = "its port is not a number from 1 to 65535."
UNRESOLVED = "its host cannot be resolved."
NOT_PUBLIC = "{host} resolves to {address}, which is not a public address."


@dataclass(frozen=True)
class Target:
    """A checked URL: its scheme, host (for the Host header and TLS), port, path with
    query, and the checked address to connect to."""

    scheme: str
    host: str
    port: int
    path: str
    address: str

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def _refuse(reason: str) -> WebhookUrlNotAllowed:
    return WebhookUrlNotAllowed(reason=reason, attr="url")


def _schemes() -> tuple[str, ...]:
    plain = settings.DEBUG or settings.WEBHOOK_ALLOW_HTTP
    return ("https", "http") if plain else ("https",)


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return address.is_global and not address.is_multicast


def _addresses(host: str, port: int) -> list[str]:
    numeric_only = 0 if settings.WEBHOOK_RESOLVE_NAMES else socket.AI_NUMERICHOST
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=numeric_only)
    except (OSError, UnicodeError, ValueError) as exc:
        raise _refuse(UNRESOLVED) from exc
    # An IPv6 address may carry its zone (``fe80::1%eth0``).
    return [str(info[4][0]).split("%", 1)[0] for info in found]


def resolve(url: str) -> Target:
    """The target of ``url``, or ``WebhookUrlNotAllowed`` saying why it may not be one.
    Resolves the host (a DNS query for a name)."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise _refuse(BAD_PORT) from exc
    if parts.scheme not in _schemes():
        raise _refuse(HTTPS_ONLY)
    if parts.username is not None or parts.password is not None:
        raise _refuse(NO_CREDENTIALS)
    host = parts.hostname
    if not host:
        raise _refuse(NO_HOST)
    addresses = _addresses(host, port)
    if not addresses:
        raise _refuse(UNRESOLVED)
    if not settings.WEBHOOK_ALLOW_PRIVATE:
        for address in addresses:
            if not _is_public(ipaddress.ip_address(address)):
                raise _refuse(NOT_PUBLIC.format(host=host, address=address))
    path = parts.path or "/"
    return Target(
        scheme=parts.scheme,
        host=host,
        port=port,
        path=f"{path}?{parts.query}" if parts.query else path,
        address=addresses[0],
    )
