"""An in-memory count of failures per key over the last minute, for unauthenticated doors.

Kept in memory on purpose: a request nobody has authenticated must not be able to make the
node write anything. Each serving process counts on its own (two at most, see `village serve`).
"""
import threading
import time
from collections import deque

MAX_KEYS = 10_000  # addresses remembered at once: a flood of new ones cannot grow it without end


class FailureLimit:
    """Allow a key at most `per_minute` failures in any sliding minute."""

    def __init__(self, per_minute, clock=time.monotonic):
        self.per_minute, self.clock = per_minute, clock
        self._failures, self._lock = {}, threading.Lock()

    def allow(self, key):
        """Return True when `key` may try again now."""
        with self._lock:
            recent = self._recent(key)
            return recent is None or len(recent) < self.per_minute

    def fail(self, key):
        """Count one failure of `key`."""
        with self._lock:
            if key not in self._failures and len(self._failures) >= MAX_KEYS:
                self._failures.pop(next(iter(self._failures)))
            self._recent(key, create=True).append(self.clock())

    def _recent(self, key, create=False):
        times = self._failures.get(key)
        if times is None:
            if not create:
                return None
            times = self._failures[key] = deque()
        while times and times[0] < self.clock() - 60:
            times.popleft()
        return times
