"""A fault-injecting TCP proxy for tests and benchmarks (127.0.0.1 only, threads).

It forwards connections to a target port and, with configurable probabilities, refuses a
connection, cuts a request part-way, cuts a response part-way, or drops a response entirely
after the upstream has answered (so the hub has committed and the client never hears it). It
can also limit the bandwidth (bytes/s, shared by all connections, per direction) and add a
one-way latency per direction, e.g. a 256 kbit/s link with 300 ms round trips:

    with FaultProxy(hub_port, seed=1, cut_response=0.3, bandwidth=32_000, latency=0.15) as proxy:
        requests.post(proxy.url + "/sync/push", ...)
    proxy.counters["cut_response"]

Faults are drawn per exchange (a request and its response; a keep-alive connection carries
several) from a random generator seeded by `seed`, so a run with the same clients is repeated
exactly. With `break_every=3` the draw is replaced by a schedule: exactly every third exchange
breaks, the kinds taking turns (cut request, cut response, dropped response), each cut at a
random point: "a third of all exchanges" without the luck of the draw. Where a message is HTTP with a Content-Length, the cut point is anywhere in the whole
message; otherwise it is within the first chunk read.
"""
import collections
import queue
import random
import re
import socket
import struct
import threading
import time

HOST = "127.0.0.1"
CHUNK = 65536
FAULTS = ("cut_request", "cut_response", "drop_response")
_CONTENT_LENGTH = re.compile(rb"^content-length:\s*(\d+)\s*$", re.I | re.M)


def message_length(head):
    """Return the length of the HTTP message starting with `head`, or None when unknown."""
    end = head.find(b"\r\n\r\n")
    if end < 0 or not re.match(rb"^(HTTP/1\.\d \d{3}|[A-Z]+ \S+ HTTP/1\.\d)", head):
        return None
    found = _CONTENT_LENGTH.search(head[:end])
    return end + 4 + (int(found.group(1)) if found else 0)


class Pacer:
    """A link of `bandwidth` bytes/s that connections share: when each piece may be sent."""

    def __init__(self, bandwidth):
        self.bandwidth = bandwidth
        self.free_at = 0.0
        self.lock = threading.Lock()

    def reserve(self, size):
        """Book `size` bytes on the link; return the monotonic time they may start."""
        with self.lock:
            start = max(time.monotonic(), self.free_at)
            self.free_at = start + size / self.bandwidth
            return start


class FaultProxy:
    """Forward 127.0.0.1:`port` to 127.0.0.1:`target_port`, injecting the configured faults."""

    def __init__(self, target_port, *, seed=0, refuse=0.0, cut_request=0.0, cut_response=0.0,
                 drop_response=0.0, break_every=None, bandwidth=None, latency=0.0, port=0):
        if refuse < 0 or min(cut_request, cut_response, drop_response) < 0 or \
                cut_request + cut_response + drop_response > 1:
            raise ValueError("fault probabilities must be >= 0 and those per exchange sum to at most 1")
        if break_every is not None and (break_every < 1 or cut_request or cut_response or drop_response):
            raise ValueError("break_every is a whole number >= 1, and replaces the fault probabilities")
        self.break_every = break_every
        self.target_port = target_port
        self.port = port
        self.refuse = refuse
        self.odds = {"cut_request": cut_request, "cut_response": cut_response, "drop_response": drop_response}
        self.latency = latency
        self.pacers = {d: Pacer(bandwidth) for d in ("up", "down")} if bandwidth else {}
        self.counters = collections.Counter()
        self._accept_rng = random.Random(f"{seed}-accept")
        self._exchange_rng = random.Random(f"{seed}-exchange")
        self._lock = threading.Lock()
        self._links = set()
        self._listener = None
        self._thread = None

    @property
    def url(self):
        """Return the proxy's base URL, http://127.0.0.1:PORT."""
        return f"http://{HOST}:{self.port}"

    def start(self):
        """Listen on 127.0.0.1 and start forwarding; return self."""
        self._listener = socket.create_server((HOST, self.port), backlog=64)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, name="faultproxy-accept", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stop listening and close every open connection."""
        if self._listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone does not on Linux.
            try:
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        with self._lock:
            links = list(self._links)
        for link in links:
            link.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def count(self, name, n=1):
        """Add `n` to counter `name` (thread-safe)."""
        with self._lock:
            self.counters[name] += n

    def draw_exchange(self):
        """Return (fault or None, fraction at which to cut) for a new exchange."""
        with self._lock:
            self.counters["exchanges"] += 1
            r, fraction = self._exchange_rng.random(), self._exchange_rng.random()
            number = self.counters["exchanges"]
        if self.break_every:
            if number % self.break_every:
                return None, fraction
            return FAULTS[(number // self.break_every - 1) % len(FAULTS)], fraction
        for fault in FAULTS:
            if r < self.odds[fault]:
                return fault, fraction
            r -= self.odds[fault]
        return None, fraction

    def _accept(self):
        while True:
            try:
                client, _ = self._listener.accept()
            except (OSError, AttributeError):
                return
            self.count("connections")
            with self._lock:
                refused = self._accept_rng.random() < self.refuse
            if refused:
                self.count("refused")
                # Linger 0: the client sees a reset, as close to "connection refused" as a listener gets.
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                client.close()
                continue
            link = _Link(self, client)
            with self._lock:
                self._links.add(link)
            threading.Thread(target=link.run, name="faultproxy-link", daemon=True).start()

    def _forget(self, link):
        with self._lock:
            self._links.discard(link)


class _Link:
    """One client connection, its upstream connection and the exchange under way on them."""

    def __init__(self, proxy, client):
        self.proxy = proxy
        self.client = client
        self.upstream = None
        self.lock = threading.Lock()
        self.closed = False
        self.phase = None  # "request" or "response": a new request after a response is a new exchange
        self.fault, self.fraction = None, 0.0
        self.total = self.sent = 0
        self.outboxes = []

    def run(self):
        try:
            self.upstream = socket.create_connection((HOST, self.proxy.target_port), timeout=10)
            self.upstream.settimeout(None)
        except OSError:
            self.proxy.count("upstream_unreachable")
            self.close()
            return
        for source, dest, direction in ((self.client, self.upstream, "up"), (self.upstream, self.client, "down")):
            outbox = queue.Queue()
            self.outboxes.append(outbox)
            threading.Thread(target=self._read, args=(source, outbox, direction), daemon=True).start()
            threading.Thread(target=self._write, args=(dest, outbox, direction), daemon=True).start()

    def _read(self, source, outbox, direction):
        while True:
            try:
                data = source.recv(CHUNK)
            except OSError:
                data = b""
            if not data:
                outbox.put((time.monotonic(), None, False))
                return
            data, cut = self._decide(direction, data)
            outbox.put((time.monotonic(), data, cut))
            if cut:
                return

    def _decide(self, direction, data):
        """Return (bytes to forward, whether to close the connection after them)."""
        with self.lock:
            if direction == "up" and self.phase != "request":
                self.phase, self.total, self.sent = "request", 0, 0
                self.fault, self.fraction = self.proxy.draw_exchange()
            elif direction == "down" and self.phase != "response":
                self.phase, self.total, self.sent = "response", 0, 0
                if self.fault == "drop_response":
                    self.proxy.count("dropped_response")
                    return b"", True
            if self.fault != {"up": "cut_request", "down": "cut_response"}[direction]:
                return data, False
            if not self.total:
                self.total = message_length(data) or len(data)
            cut_at = min(self.total - 1, int(self.total * self.fraction))
            if self.sent + len(data) <= cut_at:
                self.sent += len(data)
                return data, False
            self.proxy.count(self.fault)
            return data[:max(0, cut_at - self.sent)], True

    def _write(self, dest, outbox, direction):
        pacer = self.proxy.pacers.get(direction)
        while True:
            arrived, data, cut = outbox.get()
            if self.closed:
                return
            delay = arrived + self.proxy.latency - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            try:
                if data is None:
                    dest.shutdown(socket.SHUT_WR)  # pass the half-close on
                    return
                self._send(dest, data, pacer)
                self.proxy.count("bytes_" + direction, len(data))
            except OSError:
                self.close()
                return
            if cut:
                self.close()
                return

    def _send(self, dest, data, pacer):
        if pacer is None:
            dest.sendall(data)
            return
        step = max(256, int(pacer.bandwidth / 50))
        for i in range(0, len(data), step):
            piece = data[i:i + step]
            wait = pacer.reserve(len(piece)) - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            dest.sendall(piece)

    def close(self):
        """Close both sides (idempotent)."""
        with self.lock:
            if self.closed:
                return
            self.closed = True
        for sock in (self.client, self.upstream):
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
        for outbox in self.outboxes:
            outbox.put((0.0, None, False))  # wake the writers so their threads end
        self.proxy._forget(self)
