"""A Redis that stalls or goes away costs a request a fraction of a second, once.

Every Redis this process talks to (the cache, the throttles, the Celery broker) has one
circuit breaker, by address. The first call that fails or times out opens it, and for
``REDIS_RETRY_AFTER`` seconds every call to that Redis fails at once instead of waiting
for its socket timeout again: the cache then reads from the database, the throttles let
requests through (the sign-in endpoints' count in the process), and tasks are left for
the sweep. The first call after that tries
Redis again and closes the breaker if it answers.

Writes made while a breaker was open could not invalidate cached reads; functions
registered with ``on_recovery`` repair that when a Redis answers again, before anything
else is asked of it (``logitrack.cache``).
"""

import logging
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

FAILURES = (redis.ConnectionError, redis.TimeoutError, OSError)
SKIPPED = "Redis at {address} is skipped for a few seconds after a failure."


class CircuitBreaker:
    def __init__(self, address: str) -> None:
        self.address = address
        self._open_until = 0.0  # monotonic time; 0 while closed
        self._recovering = threading.Lock()
        self._local = threading.local()

    @property
    def is_open(self) -> bool:
        """Whether calls to this Redis are being skipped right now."""
        return time.monotonic() < self._open_until

    @property
    def tripped(self) -> bool:
        """Whether a failure was seen and no call has succeeded since."""
        return self._open_until > 0

    def check(self) -> None:
        """Raises ``redis.ConnectionError`` while open. After the pause, the first
        caller runs the recovery functions (others meanwhile fail at once); if Redis
        answers them, the breaker closes and the call goes ahead."""
        if not self._open_until or getattr(self._local, "recovering", False):
            return
        if self.is_open or not self._recovering.acquire(blocking=False):
            raise redis.ConnectionError(SKIPPED.format(address=self.address))
        self._local.recovering = True
        try:
            for repair in _recovery:
                repair()  # its calls go through: a failure among them re-opens the breaker
        finally:
            self._local.recovering = False
            self._recovering.release()
        if self.is_open:
            raise redis.ConnectionError(SKIPPED.format(address=self.address))
        self._open_until = 0.0
        logger.warning("Redis at %s answers again.", self.address)

    def close(self) -> None:
        self._open_until = 0.0

    def failed(self, exc: BaseException) -> None:
        if not self.tripped:
            logger.error(
                "Redis at %s failed (%s); skipping it for %s s.",
                self.address,
                exc,
                settings.REDIS_RETRY_AFTER,
            )
        self._open_until = time.monotonic() + settings.REDIS_RETRY_AFTER


_breakers: dict[str, CircuitBreaker] = {}
_lock = threading.Lock()
_recovery: list[Callable[[], None]] = []


def on_recovery(repair: Callable[[], None]) -> Callable[[], None]:
    """Registers ``repair`` to run whenever a Redis answers again after a failure (as a
    decorator too)."""
    if repair not in _recovery:
        _recovery.append(repair)
    return repair


def breaker_for(address: str) -> CircuitBreaker:
    """The breaker of the Redis at ``address`` (``host:port``) or of a URL's."""
    if "://" in address:
        parts = urlsplit(address)
        address = f"{parts.hostname}:{parts.port or 6379}"
    with _lock:
        return _breakers.setdefault(address, CircuitBreaker(address))


class Redis(redis.Redis):
    """The client django-redis hands out (``REDIS_CLIENT_CLASS``): every command goes
    through the breaker of its server."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        options = self.connection_pool.connection_kwargs
        self.breaker = breaker_for(f"{options.get('host')}:{options.get('port')}")

    def execute_command(self, *args, **options):
        self.breaker.check()
        try:
            return super().execute_command(*args, **options)
        except FAILURES as exc:
            self.breaker.failed(exc)
            raise


def reset() -> None:
    """Forgets every failure seen (between tests)."""
    with _lock:
        for breaker in _breakers.values():
            breaker.close()
