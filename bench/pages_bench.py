"""Pages at scale (100,000 households) at 10 concurrent clients, and the memory of `village serve`."""
import os
import re
import subprocess
import sys
from urllib.parse import quote

import requests

from bigdb import build
from load import measure
from nodes import ROOT, Served
from village.node import open_db


def _clerk_cookies(url):
    """Return a function giving the cookies of a new session logged in as the benchmark clerk."""

    def make():
        session = requests.Session()
        form = session.get(url + "/clerk/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        answer = session.post(url + "/clerk/login", data={"csrf_token": token, "username": "bench",
                                                          "password": "bench-password", "next": ""})
        answer.raise_for_status()
        return session.cookies.get_dict()

    return make


def pages(work, households=100_000):
    """Serve the big village and measure p50/p95/p99 per page at 10 clients; then read the server's RSS."""
    data = work / "big"
    node = build(data, households=households) if not (data / "village.db").exists() else None
    env = {**os.environ, "VILLAGE_DATA": str(data)}
    subprocess.run([sys.executable, "-m", "village", "user", "add", "bench", "--role", "clerk", "--password-stdin"],
                   input="bench-password\n", env=env, text=True, capture_output=True, cwd=ROOT)
    from village.node import load_node

    node = load_node(data)
    db = open_db(node)
    sample = db.execute("SELECT id, code, head_name, phone, id_number FROM households "
                        "ORDER BY rowid LIMIT 20 OFFSET ?", [households // 2]).fetchall()
    request_id = db.execute("SELECT id FROM service_requests LIMIT 1").fetchone()[0]
    db.close()
    server = Served(data)
    try:
        search = "/clerk/households?q="
        paths = {
            "kiosk home": "/",
            "search by name": [search + quote(row[2]) for row in sample],
            "search by code": [search + quote(row[1]) for row in sample],
            "search by phone": [search + quote(row[3]) for row in sample],
            "search by ID number": [search + quote(row[4]) for row in sample],
            # Broad searches: the start of most phone numbers (13) and ID numbers (52), one digit, one or
            # two characters of a name. Each must cost what a specific search costs (p99 <= 20 ms).
            "broad search: 1": search + "1",
            "broad search: 13": search + "13",
            "broad search: 52": search + "52",
            "broad search: a surname": [search + quote(row[2][:1]) for row in sample],
            "search: two characters of a name": [search + quote(row[2][:2]) for row in sample],
            "household list": "/clerk/households",
            "household page": [f"/clerk/households/{row[0]}" for row in sample],
            "request queue": "/clerk/requests",
            "request page": f"/clerk/requests/{request_id}",
        }
        login = _clerk_cookies(server.url)
        jars = [login() for _ in range(10)]
        # Warm up, as on a kiosk that has served for a while: every server thread's SQLite
        # connection and page cache, and Jinja's compiled templates in every process.
        measure(server.url, paths, clients=10, per_client=10, jars=jars)
        results = measure(server.url, paths, clients=10, per_client=60, jars=jars)
        pss, rss = server.memory_mb()
        return results, {"pss_mb": round(pss, 1), "rss_mb": round(rss, 1), "processes": len(server.pids()),
                         "households": households}
    finally:
        server.stop()
