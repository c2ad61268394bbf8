"""What a process may keep for itself of data others can change: a bounded map whose
entries expire, so that a copy kept here can never outlive its lifetime, whatever
happened to the invalidation that should have replaced it."""

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
