"""Versioned read caching.

A cached read is stored under a key that carries its namespace's current version;
a write bumps the version after commit, so the next read misses and rebuilds. Old
entries are never served again and expire on their own (``CACHE_TTL``). When the
cache is down every read simply misses (django-redis ignores and logs the errors).
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import transaction
from django.dispatch import receiver

logger = logging.getLogger(__name__)

STATS = "stats"
VEHICLES = "vehicles"
# Delivery list pages and filtered counts: they show vehicles and drivers too.
DELIVERIES = "deliveries"
# The number of all deliveries: only a creation or a deletion changes it.
DELIVERY_TOTAL = "delivery-total"


def user_namespace(user_id) -> str:
    """One user's account as authentication reads it; any save or deletion of the user
    bumps it (``users.signals``)."""
    return f"user:{user_id}"


def _version_key(namespace: str) -> str:
    return f"version:{namespace}"


def namespace_version(namespace: str) -> int | None:
    """The namespace's current version, or ``None`` when the cache cannot say."""
    version = cache.get(_version_key(namespace))
    if version is None:
        cache.add(_version_key(namespace), _fresh_version(), timeout=None)
        version = cache.get(_version_key(namespace))
    return version


def _fresh_version() -> int:
    # Never a number used before: should the version key be evicted while entries of an
    # old version survive, a restarted count must not land on one of them.
    return time.time_ns()


def bump(*namespaces: str, immediately: bool = False) -> None:
    """Invalidates the namespaces' cached reads once the current transaction commits.

    ``immediately`` also invalidates them at once, so that reads later in the same
    transaction do not see the old entries either (a read by another request in between
    may cache the old row again; the bump after commit discards it)."""

    def _bump() -> None:
        _forget_request_versions()
        for namespace in namespaces:
            try:
                cache.incr(_version_key(namespace))
            except ValueError:  # no version yet: nothing cached under it either
                cache.add(_version_key(namespace), _fresh_version(), timeout=None)

    if immediately:
        _bump()
    transaction.on_commit(_bump, robust=True)


# The version each namespace had when this process last read it: a guess that lets a
# hit cost one round trip (the version and the entry fetched together). It is only a
# guess: the entry is served only if the version read with it still matches.
_last_seen: dict[str, int] = {}

# This process's copies of immutable entries (bytes, text, numbers, tuples of such) by
# versioned key, the oldest dropped first: an entry never changes under its version, so
# once the version read from the cache (in this request) still matches, the copy is
# served without fetching the entry again (a cached page is tens of kilobytes). Nothing
# is served without that read.
_copies: dict[str, Any] = {}
COPIES_LIMIT = 128
_IMMUTABLE = (bytes, str, int, float, tuple)


def _keep_copy(full_key: str, value: Any) -> None:
    if isinstance(value, _IMMUTABLE):
        if len(_copies) >= COPIES_LIMIT:
            try:
                _copies.pop(next(iter(_copies)), None)
            except (RuntimeError, StopIteration):  # another thread changed it meanwhile
                pass
        _copies[full_key] = value


# The versions read during the current request, by namespace. The first cached read of
# a request fetches the versions of the shared namespaces along with its own, so the
# request's later cached reads (the account, then a page or a count) need no round trip
# of their own. Kept only while a request runs (a worker's task never keeps them) and
# forgotten whenever this thread bumps a version.
_request = threading.local()
SHARED = (STATS, VEHICLES, DELIVERIES, DELIVERY_TOTAL)


@receiver(request_started, dispatch_uid="logitrack.cache.request-started")
def _request_started(**kwargs) -> None:
    _request.versions = {}


@receiver(request_finished, dispatch_uid="logitrack.cache.request-finished")
def _request_finished(**kwargs) -> None:
    _request.versions = None


def _forget_request_versions() -> None:
    versions = getattr(_request, "versions", None)
    if versions:
        versions.clear()


def cached(namespace: str, key: str, build: Callable[[], Any]) -> Any:
    """``build()``'s result, from the cache when the namespace's version still holds."""
    versions = getattr(_request, "versions", None)  # None outside a request
    version = versions.get(namespace) if versions is not None else None
    if version is None:
        guess = _last_seen.get(namespace)
        guessed_key = None if guess is None else f"{namespace}:{guess}:{key}"
        wanted = [_version_key(namespace)]
        if guessed_key is not None and guessed_key not in _copies:
            wanted.append(guessed_key)
        if versions is not None:
            wanted += [_version_key(other) for other in SHARED if other not in versions]
        found = cache.get_many(list(dict.fromkeys(wanted)))
        if versions is not None:
            for other in SHARED:
                if (other_version := found.get(_version_key(other))) is not None:
                    versions[other] = other_version
        version = found.get(_version_key(namespace))
        if version is None:
            version = namespace_version(namespace)
            if version is None:  # the cache is down
                return build()
        if versions is not None:
            versions[namespace] = version
        if version == guess and guessed_key in found:
            _keep_copy(guessed_key, found[guessed_key])
            return found[guessed_key]
    _last_seen[namespace] = version
    full_key = f"{namespace}:{version}:{key}"
    if full_key in _copies:
        return _copies[full_key]
    value = cache.get(full_key)
    if value is None:
        value = build()
        cache.set(full_key, value, timeout=settings.CACHE_TTL)
    _keep_copy(full_key, value)
    return value
