"""A small in-process limiter of failed attempts (logins), per key.

One app process serves a street office; a sliding window per key (the user name and the
client address are both keys) is enough and needs no extra service. The clock is injected
so tests do not sleep.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class AttemptLimiter:
    """Allow at most ``limit`` failures per key within ``window`` seconds.

    Parameters
    ----------
    limit : int
        Failures allowed in the window; the next attempt is refused until the oldest leaves.
    window : float
        Length of the sliding window, in seconds.
    clock : callable, optional
        Monotonic time in seconds (``time.monotonic`` by default).
    """

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def retry_after(self, *keys: str) -> int:
        """Seconds to wait before any of ``keys`` may try again; 0 when allowed now."""
        now = self._clock()
        wait = 0.0
        with self._lock:
            for key in keys:
                times = self._recent(key, now)
                if len(times) >= self.limit:
                    wait = max(wait, times[0] + self.window - now)
        return int(wait) + 1 if wait > 0 else 0

    def fail(self, *keys: str) -> None:
        """Count one failure (or, for a limit on all attempts, one attempt) against ``keys``."""
        now = self._clock()
        with self._lock:
            for key in keys:
                self._recent(key, now)
                self._failures.setdefault(key, deque()).append(now)

    def reset(self, *keys: str) -> None:
        """Forget the failures of ``keys`` (after a successful login)."""
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
