"""Versioned read caching.

A cached read is stored under a key that carries its namespace's current version; a
write bumps the version after commit, so the next read misses and rebuilds. Old entries
are never served again and expire on their own.

Lost invalidations heal by themselves:

- an entry lives at most ``CACHE_TTL`` seconds in the cache, and a server process keeps
  its own copy of one at most ``LOCAL_CACHE_TTL`` seconds;
- while Redis does not answer (``logitrack.breaker``) reads come from the database and a
  bump cannot be made; the process remembers the namespaces it could not bump, and when
  Redis answers again, before anything is read from it, it bumps them and every shared
  namespace (another process's bump may have been lost too).
"""

import hashlib
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

from logitrack import breaker
from logitrack.memo import MISSING, Memo

logger = logging.getLogger(__name__)

STATS = "stats"
VEHICLES = "vehicles"
# Delivery list pages and filtered counts: they show vehicles and drivers too.
DELIVERIES = "deliveries"
# The number of all deliveries: only a creation or a deletion changes it.
DELIVERY_TOTAL = "delivery-total"
# The namespaces every request may read; the first cached read of a request fetches
# all their versions in the same round trip.
SHARED = (STATS, VEHICLES, DELIVERIES, DELIVERY_TOTAL)


def user_namespace(user_id) -> str:
    """One user's account as authentication reads it; any save or deletion of the user
    bumps it (``users.signals``)."""
    return f"user:{user_id}"


def _version_key(namespace: str) -> str:
    return f"version:{namespace}"


def _fresh_version() -> int:
    # Never a number used before: should the version key be evicted while entries of an
    # old version survive, a restarted count must not land on one of them.
    return time.time_ns()


def namespace_version(namespace: str) -> int | None:
    """The namespace's current version, or ``None`` when the cache cannot say."""
    version = cache.get(_version_key(namespace))
    if version is None:
        cache.add(_version_key(namespace), _fresh_version(), timeout=None)
        version = cache.get(_version_key(namespace))
    return version


# Namespaces whose bump did not reach Redis, bumped again once it answers.
_lost: set[str] = set()


def _increment(namespaces) -> None:
    for namespace in namespaces:
        key = _version_key(namespace)
        try:
            bumped = cache.incr(key)
        except ValueError:  # no version yet: nothing cached under it either
            bumped = cache.add(key, _fresh_version(), timeout=None)
        if bumped is None:  # Redis did not answer (django-redis swallowed the error)
            _lost.add(namespace)


def bump(*namespaces: str, immediately: bool = False) -> None:
    """Invalidates the namespaces' cached reads once the current transaction commits.

    ``immediately`` also invalidates them at once, so that reads later in the same
    transaction do not see the old entries either (a read by another request in between
    may cache the old row again; the bump after commit discards it)."""

    def _bump() -> None:
        _forget_request_versions()
        _increment(namespaces)

    if immediately:
        _bump()
    transaction.on_commit(_bump, robust=True)


@breaker.on_recovery
def _repair() -> None:
    """Runs when Redis answers again after a failure, before any other call."""
    lost = set(_lost)
    _lost.difference_update(lost)
    _increment(sorted(lost.union(SHARED)))
    _copies.clear()


# The version each namespace had when this process last read it: a guess that lets a
# hit cost one round trip (the version and the entry fetched together). It is only a
# guess: the entry is served only if the version read with it still matches.
_last_seen: dict[str, int] = {}

# This process's copies of immutable entries (bytes, text, numbers, tuples of such) by
# versioned key: an entry never changes under its version, so while the version read
# from the cache (in this request) still matches, the copy is served without fetching
# the entry again (a cached page is tens of kilobytes). Nothing is served without that
# read, and no copy outlives ``LOCAL_CACHE_TTL``.
_copies = Memo(limit=128, ttl=settings.LOCAL_CACHE_TTL)
_IMMUTABLE = (bytes, str, int, float, tuple)


def _keep_copy(full_key: str, value: Any) -> None:
    if isinstance(value, _IMMUTABLE):
        _copies.set(full_key, value)


# The versions read during the current request, by namespace. The first cached read of
# a request fetches the versions of the shared namespaces along with its own, so the
# request's later cached reads (the account, then a page or a count) need no round trip
# of their own. Kept only while a request runs (a worker's task never keeps them) and
# forgotten whenever this thread bumps a version.
_request = threading.local()


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


def _read_version(namespace: str, key: str, versions: dict | None) -> tuple[int | None, Any]:
    """The namespace's version (``None``: the cache cannot say) and, when this process's
    guess of it was right, the entry under ``key`` fetched in the same round trip."""
    guess = _last_seen.get(namespace)
    guessed_key = None if guess is None else f"{namespace}:{guess}:{key}"
    wanted = [_version_key(namespace)]
    if guessed_key is not None and _copies.get(guessed_key) is MISSING:
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
    if version is not None and version == guess and guessed_key in found:
        return version, found[guessed_key]
    return version, MISSING


# Keys longer than this (a URL with a long query string) are stored by their digest.
LONGEST_KEY = 200


def cached(namespace: str, key: str, build: Callable[[], Any]) -> Any:
    """``build()``'s result, from the cache when the namespace's version still holds."""
    if len(key) > LONGEST_KEY:
        key = hashlib.sha256(key.encode()).hexdigest()
    versions = getattr(_request, "versions", None)  # None outside a request
    version = versions.get(namespace) if versions is not None else None
    if version is None:
        version, value = _read_version(namespace, key, versions)
        if version is None:  # the cache is down
            return build()
        if versions is not None:
            versions[namespace] = version
        if value is not MISSING:
            _keep_copy(f"{namespace}:{version}:{key}", value)
            return value
    _last_seen[namespace] = version
    full_key = f"{namespace}:{version}:{key}"
    value = _copies.get(full_key)
    if value is MISSING:
        value = cache.get(full_key)
        if value is None:
            value = build()
            cache.set(full_key, value, timeout=settings.CACHE_TTL)
        _keep_copy(full_key, value)
    return value
