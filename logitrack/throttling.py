"""Request-rate limits that cost one cache round trip per request.

DRF's throttles keep a list of request times per client and read and rewrite all of it
on every request, which grows with the allowed rate. These count requests in a window
that opens with a client's first request and lasts the rate's period: one atomic
``INCR`` per request (on Redis, one script that counts and opens the window together).
A cache that is down counts nothing and lets requests through, except on the sign-in
endpoints (the ``auth`` scope): those are then counted by each server process for itself.
"""

import logging
import threading

from redis.commands.core import Script
from redis.exceptions import RedisError
from rest_framework import throttling

from logitrack.memo import Memo, memoized

logger = logging.getLogger(__name__)

# Scopes counted by the process itself while the cache cannot count: a Redis outage must
# not make password guessing free. Everything else lets requests through meanwhile, so
# that an outage locks nobody out of reading.
LOCAL_SCOPES = frozenset({"auth"})
# Clients a process counts at most per period; past that the oldest are forgotten.
LOCAL_CLIENTS = 10_000

_local_windows: dict[int, Memo] = {}  # by period: (window end, count) per cache key
_local_lock = threading.Lock()


def reset_local_counts() -> None:
    """Forgets what this process counted while the cache was down (between tests)."""
    with _local_lock:
        _local_windows.clear()


# Counts a request in the window KEYS[1] of ARGV[1] seconds, opening it if there is
# none; returns the count and the milliseconds left in the window.
COUNT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('PTTL', KEYS[1])}
"""


def client_address(request) -> str:
    """The address the throttles count per: the socket's, or with ``TRUSTED_PROXY_COUNT``
    (DRF's ``NUM_PROXIES``) N, the Nth from the right of X-Forwarded-For."""
    return throttling.BaseThrottle().get_ident(request)


def _redis_client(cache):
    """The redis-py client behind a django-redis cache, ``None`` for any other cache."""
    client = getattr(cache, "client", None)
    get_client = getattr(client, "get_client", None)
    return get_client(write=True) if get_client is not None else None


@memoized()
def _count_script(client) -> Script:
    """``COUNT_SCRIPT``, run by its hash (``EVALSHA``) once Redis knows it."""
    return client.register_script(COUNT_SCRIPT)


class WindowCounterMixin(throttling.SimpleRateThrottle):
    num_requests: int
    duration: int
    _left: float | None = None  # seconds left in the window, when Redis said

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        client = _redis_client(self.cache)
        count = self._count(client) if client is not None else self._count_in_cache()
        if count is None:  # the cache is down
            if self.scope not in LOCAL_SCOPES:
                return True
            count = self._count_locally()
        return count <= self.num_requests

    def _count(self, client) -> int | None:
        try:
            count, left_ms = _count_script(client)(
                keys=[self.cache.make_key(self.key)], args=[self.duration], client=client
            )
        except RedisError:
            # The breaker logs the outage once (logitrack.breaker), not every request.
            logger.debug("Throttle not counted: Redis is unavailable.")
            return None
        self._left = max(0, left_ms) / 1000
        return count

    def _count_locally(self) -> int:
        """Counts the request in this process's own window for the client: the same rate,
        but each server process allows it in full."""
        with _local_lock:
            windows = _local_windows.get(self.duration)
            if windows is None:
                # An entry outlives its window: it is renewed at each request in it.
                windows = Memo(limit=LOCAL_CLIENTS, ttl=self.duration)
                _local_windows[self.duration] = windows
            ends, count = windows.get(self.key, (0.0, 0))
            if self.now >= ends:
                ends, count = self.now + self.duration, 0
            count += 1
            windows.set(self.key, (ends, count))
        self._left = ends - self.now
        return count

    def _count_in_cache(self) -> int | None:
        count: int | None
        try:
            count = self.cache.incr(self.key)
        except ValueError:  # no window open for this client: this request opens one
            if self.cache.add(self.key, 1, timeout=self.duration):
                self.cache.set(f"{self.key}:start", self.now, timeout=self.duration)
                count = 1
            else:  # another request opened it meanwhile
                count = self.cache.incr(self.key)
        return count

    def wait(self) -> float:
        if self._left is not None:
            return self._left
        start = self.cache.get(f"{self.key}:start")
        if start is None:
            return float(self.duration)
        return max(0.0, self.duration - (self.now - start))


class AnonRateThrottle(WindowCounterMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(WindowCounterMixin, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(WindowCounterMixin, throttling.ScopedRateThrottle):
    def allow_request(self, request, view) -> bool:
        # DRF's ScopedRateThrottle learns its rate from the view here.
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        num_requests, duration = self.parse_rate(self.rate)
        self.num_requests, self.duration = num_requests or 0, duration or 0
        return super().allow_request(request, view)
