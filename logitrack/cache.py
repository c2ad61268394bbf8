"""Versioned read caching.

A cached read is stored under a key that carries its namespace's current version;
a write bumps the version after commit, so the next read misses and rebuilds. Old
entries are never served again and expire on their own (``CACHE_TTL``). When the
cache is down every read simply misses (django-redis ignores and logs the errors).
"""

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

STATS = "stats"
VEHICLES = "vehicles"
# Delivery list pages and counts: they show vehicles and drivers too.
DELIVERIES = "deliveries"


def _version_key(namespace: str) -> str:
    return f"version:{namespace}"


def namespace_version(namespace: str) -> int | None:
    """The namespace's current version, or ``None`` when the cache cannot say."""
    version = cache.get(_version_key(namespace))
    if version is None:
        cache.add(_version_key(namespace), 1, timeout=None)
        version = cache.get(_version_key(namespace))
    return version


def bump(*namespaces: str) -> None:
    """Invalidates the namespaces' cached reads once the current transaction commits."""

    def _bump() -> None:
        for namespace in namespaces:
            try:
                cache.incr(_version_key(namespace))
            except ValueError:  # no version yet: nothing cached under it either
                cache.add(_version_key(namespace), 1, timeout=None)

    transaction.on_commit(_bump, robust=True)


def cached(namespace: str, key: str, build: Callable[[], Any]) -> Any:
    """``build()``'s result, from the cache when the namespace's version still holds."""
    version = namespace_version(namespace)
    if version is None:
        return build()
    full_key = f"{namespace}:{version}:{key}"
    value = cache.get(full_key)
    if value is None:
        value = build()
        cache.set(full_key, value, timeout=settings.CACHE_TTL)
    return value
