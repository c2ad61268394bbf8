"""The one way a process keeps things for itself: a bounded map whose entries expire.

Bounded, so no input can grow it without limit; expiring, so that a copy of data others
can change never outlives its lifetime, whatever happened to the invalidation that should
have replaced it.
"""

import functools
import threading
import time
from typing import Any

MISSING: Any = object()


class Memo:
    """At most ``limit`` entries (the oldest dropped first), each for ``ttl`` seconds.
    Safe to share between threads."""

    def __init__(self, *, limit: int, ttl: float) -> None:
        self.limit = limit
        self.ttl = ttl
        self._entries: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Any, default: Any = MISSING) -> Any:
        found = self._entries.get(key)
        if found is None:
            return default
        expires, value = found
        if time.monotonic() >= expires:
            with self._lock:
                self._entries.pop(key, None)
            return default
        return value

    def set(self, key: Any, value: Any) -> None:
        with self._lock:
            self._entries.pop(key, None)  # a renewed entry moves to the end
            while len(self._entries) >= self.limit:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = (time.monotonic() + self.ttl, value)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def memoized(*, limit: int = 256, ttl: float = 3600.0):
    """A function's results by its (hashable) arguments, kept in a ``Memo``: for what a
    process computes from code and settings rather than from data (a statement, a
    script, a form class)."""

    def decorate(function):
        memo = Memo(limit=limit, ttl=ttl)

        @functools.wraps(function)
        def call(*args, **kwargs):
            key = (args, tuple(sorted(kwargs.items())))
            found = memo.get(key)
            if found is MISSING:
                found = function(*args, **kwargs)
                memo.set(key, found)
            return found

        return call

    return decorate
