"""The fault-injecting proxy: each fault happens and is counted, seeds repeat, the link is slow."""
import http.client
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.faultproxy import FaultProxy, message_length

BODY = b"x" * 20_000


class Upstream(ThreadingHTTPServer):
    """A tiny HTTP server: POST echoes the body after "committing" it; GET /big sends N bytes."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.committed = []
        self.lock = threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def port(self):
        return self.server_address[1]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        size = int(self.headers["Content-Length"])
        body = self.rfile.read(size)
        if len(body) < size:
            self.close_connection = True
            return  # a cut request: nothing is committed
        with self.server.lock:
            self.server.committed.append(body)
        self._reply(body)

    def do_GET(self):
        self._reply(b"y" * int(self.path.rsplit("/", 1)[-1] or 0))

    def _reply(self, body):
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def upstream():
    server = Upstream()
    yield server
    server.shutdown()
    server.server_close()


def post(port, body=BODY, conn=None):
    """POST `body`; return "ok" when echoed intact, else the kind of failure the client saw."""
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/push", body=body)
        answer = conn.getresponse().read()
        return "ok" if answer == body else "garbled"
    except http.client.IncompleteRead:
        return "incomplete"
    except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
        return "broken"


def test_clean_link_forwards_everything(upstream):
    with FaultProxy(upstream.port) as proxy:
        assert [post(proxy.port) for _ in range(5)] == ["ok"] * 5
    assert len(upstream.committed) == 5
    assert proxy.counters["connections"] == 5 and proxy.counters["exchanges"] == 5
    assert proxy.counters["bytes_up"] > 5 * len(BODY) and proxy.counters["bytes_down"] > 5 * len(BODY)
    assert not any(proxy.counters[f] for f in ("refused", "cut_request", "cut_response", "dropped_response"))


def test_keep_alive_connection_counts_each_exchange(upstream):
    with FaultProxy(upstream.port) as proxy:
        conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
        assert [post(proxy.port, conn=conn) for _ in range(3)] == ["ok"] * 3
        conn.close()
    assert proxy.counters["connections"] == 1 and proxy.counters["exchanges"] == 3


def test_refused_connection_reaches_nobody(upstream):
    with FaultProxy(upstream.port, refuse=1.0) as proxy:
        assert post(proxy.port) == "broken"
    assert proxy.counters["refused"] == 1 and upstream.committed == []


def test_cut_request_never_commits(upstream):
    with FaultProxy(upstream.port, cut_request=1.0) as proxy:
        assert [post(proxy.port) for _ in range(3)] == ["broken"] * 3
        time.sleep(0.1)
    assert proxy.counters["cut_request"] == 3 and upstream.committed == []
    assert 0 < proxy.counters["bytes_up"] < 3 * len(BODY)


def test_cut_response_after_commit(upstream):
    with FaultProxy(upstream.port, seed=3, cut_response=1.0) as proxy:
        outcomes = [post(proxy.port) for _ in range(3)]
    assert set(outcomes) <= {"incomplete", "broken"}
    assert proxy.counters["cut_response"] == 3 and len(upstream.committed) == 3
    assert 0 < proxy.counters["bytes_down"] < 3 * len(BODY)


def test_dropped_response_after_commit(upstream):
    with FaultProxy(upstream.port, drop_response=1.0) as proxy:
        assert [post(proxy.port) for _ in range(3)] == ["broken"] * 3
    assert proxy.counters["dropped_response"] == 3 and len(upstream.committed) == 3
    assert proxy.counters["bytes_down"] == 0


def run_mixed(port, seed, n=40):
    with FaultProxy(port, seed=seed, refuse=0.1, cut_request=0.2, cut_response=0.2, drop_response=0.2) as proxy:
        outcomes = [post(proxy.port, body=b"z" * 3000) for _ in range(n)]
    return outcomes, proxy.counters


def test_same_seed_same_faults(upstream):
    first, counters = run_mixed(upstream.port, seed=11)
    # The hub committed every exchange except those refused or cut on the way in.
    assert len(upstream.committed) == 40 - counters["refused"] - counters["cut_request"]
    again, counters_again = run_mixed(upstream.port, seed=11)
    other, _ = run_mixed(upstream.port, seed=12)
    assert first == again and counters == counters_again
    assert first != other
    faults = ("refused", "cut_request", "cut_response", "dropped_response")
    assert all(counters[f] > 0 for f in faults)
    assert first.count("ok") == 40 - sum(counters[f] for f in faults)


def test_break_every_third_exchange_in_turn(upstream):
    with FaultProxy(upstream.port, seed=5, break_every=3) as proxy:
        outcomes = [post(proxy.port) for _ in range(9)]
    assert [o == "ok" for o in outcomes] == [True, True, False] * 3
    assert proxy.counters["exchanges"] == 9
    assert [proxy.counters[f] for f in ("cut_request", "cut_response", "dropped_response")] == [1, 1, 1]
    assert len(upstream.committed) == 8  # all but the exchange cut on the way in
    with pytest.raises(ValueError):
        FaultProxy(upstream.port, break_every=3, drop_response=0.1)


@pytest.mark.parametrize("direction", ["up", "down"])
def test_bandwidth_limit_holds_within_20_percent(upstream, direction):
    rate, size = 100_000, 100_000
    with FaultProxy(upstream.port, bandwidth=rate) as proxy:
        conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=20)
        started = time.monotonic()
        if direction == "up":
            conn.request("POST", "/push", body=b"u" * size)
            conn.getresponse().read()
            # the echo comes back at the same rate: both directions are paced
            expected = 2 * size / rate
        else:
            conn.request("GET", f"/{size}")
            assert len(conn.getresponse().read()) == size
            expected = size / rate
        elapsed = time.monotonic() - started
        conn.close()
    assert expected * 0.8 <= elapsed <= expected * 1.2, (elapsed, expected)


def test_latency_is_added_each_way(upstream):
    with FaultProxy(upstream.port, latency=0.15) as proxy:
        started = time.monotonic()
        assert post(proxy.port, body=b"ping") == "ok"
        elapsed = time.monotonic() - started
    assert 0.3 <= elapsed < 0.6


@pytest.mark.parametrize("head, length", [
    (b"POST /x HTTP/1.1\r\nContent-Length: 10\r\n\r\n", 50),
    (b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n", 38),
    (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 27),
    (b"POST /x HTTP/1.1\r\nContent-Len", None),
    (b"\x00binary", None),
])
def test_message_length(head, length):
    assert message_length(head) == length
