"""When the scheduler syncs: capped exponential backoff with full jitter, and a reachability probe.

Small pure functions and a tiny state machine (`SyncLoop`) driven by a monotonic clock, so
none of it needs sleeping to test.
"""
import random
import socket
from dataclasses import dataclass
from typing import Optional
from urllib.parse import urlsplit

BACKOFF_BASE_SECONDS = 30
PROBE_TIMEOUT_SECONDS = 3


def backoff_ceiling(failures, base, cap):
    """Return the longest wait after `failures` failed attempts in a row (capped exponential)."""
    if failures <= 0:
        return 0.0
    return float(min(cap, base * 2 ** min(failures - 1, 32)))


def backoff_delay(failures, base, cap, rand=random.random):
    """Return the wait before the next attempt: full jitter, uniform in [0, ceiling)."""
    # Full jitter spreads the villages that lost the same link, so they do not all come back at once.
    return rand() * backoff_ceiling(failures, base, cap)


def link_came_back(before, now):
    """Return True when the probe saw the hub unreachable before and reachable now."""
    return before is False and now is True


def hub_address(url):
    """Return (host, port) of a hub URL (port 443 for https, 80 for http when not given)."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError(f"not a hub URL: {url!r}")
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


def reachable(url, timeout=PROBE_TIMEOUT_SECONDS):
    """Return True when a TCP connection to the hub of `url` opens (a few hundred bytes at most)."""
    try:
        with socket.create_connection(hub_address(url), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


@dataclass
class SyncLoop:
    """When to sync: every `interval` seconds, backing off after failures, promptly on reconnection.

    `tick(now, sync, probe)` is called every few seconds with a monotonic `now`; `sync()` runs
    one round and returns True on success; `probe()` says whether the hub is reachable.
    """

    interval: float
    cap: float
    base: float = BACKOFF_BASE_SECONDS
    rand: object = random.random
    failures: int = 0
    next_at: float = 0.0
    link_up: Optional[bool] = None

    def tick(self, now, sync, probe):
        """Sync when due or when the link just came back; return what was done."""
        if now < self.next_at:
            if not self.failures:
                return "idle"
            up = probe()
            came_back = link_came_back(self.link_up, up)
            self.link_up = up
            if not came_back:
                return "waiting"
        ok = sync()
        self.record(ok, now, probe)
        return "synced" if ok else "failed"

    def record(self, ok, now, probe):
        """Plan the next attempt after a round that succeeded (`ok`) or failed."""
        if ok:
            self.failures, self.link_up = 0, None
            self.next_at = now + self.interval
            return
        self.failures += 1
        self.next_at = now + backoff_delay(self.failures, self.base, self.cap, self.rand)
        # The baseline for "the link came back": a failure while the hub answers TCP (a refusal,
        # say) must not turn every probe into a retry.
        self.link_up = probe()
