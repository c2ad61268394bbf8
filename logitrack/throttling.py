"""Request-rate limits that cost one cache round trip per request.

DRF's throttles keep a list of request times per client and read and rewrite all of it
on every request, which grows with the allowed rate. These count requests in a window
that opens with a client's first request and lasts the rate's period: one atomic
``INCR`` per request. A cache that is down counts nothing and lets requests through.
"""

from rest_framework import throttling


class WindowCounterMixin:
    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        try:
            count = self.cache.incr(self.key)
        except ValueError:  # no window open for this client: this request opens one
            if self.cache.add(self.key, 1, timeout=self.duration):
                self.cache.set(f"{self.key}:start", self.now, timeout=self.duration)
                count = 1
            else:  # another request opened it meanwhile
                count = self.cache.incr(self.key)
        if count is None:  # the cache is down
            return True
        return count <= self.num_requests

    def wait(self) -> float:
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
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)
