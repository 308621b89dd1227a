"""Per-sender rate limiting: one client cannot starve the others.

    >>> limiter = RateLimiter(per_minute=30, burst=10)
    >>> all(limiter.allow("web-1") for _ in range(10)), limiter.allow("web-1")
    (True, False)

A token bucket per key: ``burst`` turns at once, refilled at ``per_minute``. The API keeps the
buckets in :class:`api.shared_state.SharedState` (``SharedRateLimiter``), so several API workers
limit a sender once between them; :class:`RateLimiter` keeps them in this process (bounded: the
least recently seen keys are dropped first).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict


class RateLimiter:
    def __init__(self, per_minute: float, burst: int, *, max_keys: int = 100_000, clock=time.monotonic):
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Take one token for ``key``; False when its bucket is empty."""
        if self.rate <= 0:
            return True
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            allowed = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        return allowed

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` has a token again."""
        with self._lock:
            tokens, _ = self._buckets.get(key, (self.burst, 0.0))
        return max(0.0, (1.0 - tokens) / self.rate) if self.rate > 0 else 0.0


class SharedRateLimiter:
    """The same token bucket, its state shared by every API process (:mod:`api.shared_state`).

    >>> limiter = SharedRateLimiter(SharedState("var/data/shared.sqlite"), per_minute=30, burst=10)
    """

    def __init__(self, shared, per_minute: float, burst: int):
        self.shared, self.per_minute, self.burst = shared, per_minute, burst
        self._refused: tuple[str, float] = ("", 0.0)  # the last refusal: read right after it

    def allow(self, key: str) -> bool:
        if self.per_minute <= 0:
            return True
        allowed, wait = self.shared.take_token(key, per_minute=self.per_minute, burst=self.burst)
        if not allowed:
            self._refused = (key, wait)
        return allowed

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` has a token again, as of its refusal just now."""
        refused, wait = self._refused
        return wait if refused == key else 0.0
