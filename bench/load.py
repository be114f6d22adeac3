"""Concurrent page loads against a served node: p50, p95 and p99 per page, 10 clients by default.

Each client is a thread with its own keep-alive connection (http.client) and its own cookies,
like a browser tab. The clients run in the benchmark's Python process, next to the server on
the same two cores; requests.Session costs about a millisecond of this process's CPU per page,
which a kiosk's browser does not spend, so the clients use the lighter http.client.
"""
import http.client
import statistics
import threading
import time
from http.cookies import SimpleCookie
from urllib.parse import urlsplit


def percentile(samples, q):
    """Return the q-th percentile (0-100) of `samples`."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


class Client:
    """One browser-like client: a keep-alive connection to `base` that keeps its cookies."""

    def __init__(self, base, cookies=None, headers=None):
        parts = urlsplit(base)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        self.cookies = dict(cookies or {})
        self.headers = dict(headers or {})  # e.g. an API token's Authorization

    def get(self, path):
        """GET `path`; return (status, body bytes)."""
        headers = dict(self.headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.conn.request("GET", path, headers=headers)
        response = self.conn.getresponse()
        body = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            self.cookies.update({k: m.value for k, m in SimpleCookie(header).items()})
        return response.status, body

    def close(self):
        self.conn.close()


def measure(base, paths, clients=10, per_client=50, jars=None, headers=None):
    """Fetch each page `per_client` times from each of `clients` threads; return {name: stats}.

    `paths` maps a page name to a path or to a list of paths taken in turn (e.g. several
    searches); `jars[n]` are client n's starting cookies (a logged-in session, made before
    the clock starts: a login's password hash is meant to be slow).
    """
    jars = jars or [{} for _ in range(clients)]
    results = {}
    for name, targets in paths.items():
        targets = targets if isinstance(targets, list) else [targets]
        times, errors = [], []
        lock = threading.Lock()

        def client(offset):
            browser = Client(base, jars[offset], headers)
            local = []
            try:
                for i in range(per_client):
                    path = targets[(offset + i) % len(targets)]
                    started = time.perf_counter()
                    try:
                        status, _body = browser.get(path)
                    except (OSError, http.client.HTTPException) as exc:
                        status = exc.__class__.__name__
                        browser.close()
                        browser = Client(base, browser.cookies, headers)
                    local.append((time.perf_counter() - started) * 1000)
                    if status != 200:
                        errors.append(f"{path}: {status}")
            finally:
                browser.close()
            with lock:
                times.extend(local)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        results[name] = {"requests": len(times), "p50_ms": round(percentile(times, 50), 1),
                         "p95_ms": round(percentile(times, 95), 1), "p99_ms": round(percentile(times, 99), 1),
                         "mean_ms": round(statistics.mean(times), 1),
                         "errors": len(errors), "first_error": errors[0] if errors else None}
    return results
