"""Concurrent page loads against a served node: p50 and p95 per page, 10 clients by default."""
import statistics
import threading
import time

import requests


def percentile(samples, q):
    """Return the q-th percentile (0-100) of `samples`."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def measure(urls, clients=10, per_client=50, session_factory=requests.Session):
    """Fetch each URL `per_client` times from each of `clients` threads; return {name: stats}.

    `urls` maps a page name to a URL or to a list of URLs taken in turn (e.g. several searches).
    """
    results = {}
    for name, targets in urls.items():
        targets = targets if isinstance(targets, list) else [targets]
        times, errors = [], []
        lock = threading.Lock()

        def client(offset):
            session = session_factory()
            local = []
            for i in range(per_client):
                url = targets[(offset + i) % len(targets)]
                started = time.perf_counter()
                response = session.get(url, timeout=30)
                local.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    errors.append(f"{url}: {response.status_code}")
            with lock:
                times.extend(local)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        results[name] = {"requests": len(times), "p50_ms": round(percentile(times, 50), 1),
                         "p95_ms": round(percentile(times, 95), 1), "mean_ms": round(statistics.mean(times), 1),
                         "errors": len(errors), "first_error": errors[0] if errors else None}
    return results
