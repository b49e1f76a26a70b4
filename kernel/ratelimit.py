"""Requests per identity, limited on every HTTP edge (the ``limits`` library's moving window).

Each process counts for itself, in memory: a limit protects that process from one caller's
flood (a runaway integration, a leaked token); it is not a quota shared across replicas.
"""

from __future__ import annotations

import time

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class RateLimited(Exception):
    """Too many requests from one identity: HTTP 429 with ``Retry-After``."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PerIdentityLimit:
    def __init__(self, spec: str) -> None:
        self.items: list[RateLimitItem] = parse_many(spec) if spec.strip() else []
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, identity: str) -> None:
        """Count one request of ``identity``; ``RateLimited`` when a limit is spent."""
        for item in self.items:
            if not self._limiter.hit(item, identity):
                reset, _ = self._limiter.get_window_stats(item, identity)
                wait = max(1, int(reset - time.time() + 0.999))
                raise RateLimited(
                    f"more than {item.amount} requests per {item.multiples} "
                    f"{item.GRANULARITY.name} from {identity!r}; retry in {wait} s",
                    wait,
                )
