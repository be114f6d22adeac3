"""The county pages at scale: a hub holding 200 villages and 1,000,000 records.

Measures every county page at 10 clients (target p99 < 100 ms) and what keeping the roll-ups
costs a push: the same batches applied with and without the roll-up hook (target <= 10 % slower).
Run alone: python bench/county_bench.py [villages] [records].
"""
import json
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from load import measure  # noqa: E402
from nodes import Served  # noqa: E402
from pages_bench import _clerk_cookies  # noqa: E402
from sync.changelog import writing  # noqa: E402
from sync.clock import make_version, utc_text  # noqa: E402
from sync.server import add_node, receive_push  # noqa: E402
from sync.store import transaction  # noqa: E402
from village.node import init_node, open_db  # noqa: E402
from village.ops import station  # noqa: E402
from village.records import rollups, trust  # noqa: E402
from village.users import add_user  # noqa: E402

COUNTY = "52/5201/520102"
SHARES = (("households", 0.3), ("persons", 0.4), ("visits", 0.2), ("service_requests", 0.04),
          ("grievances", 0.02), ("monitor_cases", 0.02), ("elder_profiles", 0.02))


def _id(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _day(rng, within=400):
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() - rng.randint(0, within) * 86400))


def _village(w, rng, area, count):
    """Write about `count` records of one village through the write path (as the hub holds them after sync)."""
    n = {table: max(1, int(count * share)) for table, share in SHARES}
    homes = [_id(rng) for _ in range(n["households"])]
    for i, hid in enumerate(homes):
        w.put("households", hid, {"area": area, "code": f"H{i:05d}", "head_name": f"张{i}", "members": 3})
    people = [_id(rng) for _ in range(n["persons"])]
    for i, pid in enumerate(people):
        w.put("persons", pid, {"area": area, "household_id": homes[i % len(homes)], "name": f"李{i}"})
    elders = [_id(rng) for _ in range(n["elder_profiles"])]
    for i, eid in enumerate(elders):
        w.put("elder_profiles", eid, {"area": area, "person_id": people[i], "tier": rng.choice(("high", "key", "general")),
                                      "next_visit_due": _day(rng, 300)})
    cases = [_id(rng) for _ in range(n["monitor_cases"])]
    for i, cid in enumerate(cases):
        monitored = i % 3 != 0
        w.put("monitor_cases", cid, {"area": area, "household_id": homes[i], "channel": "self_report",
                                     "lead_on": _day(rng, 60), "status": "monitored" if monitored else "lead",
                                     "category": rng.choice(("unstable_exited", "edge_vulnerable")),
                                     "risks": json.dumps([rng.choice(("illness", "disability", "schooling"))]),
                                     "county_on": _day(rng, 200) if monitored else None})
    for i in range(n["visits"]):
        elder = i % 2 == 0
        w.put("visits", _id(rng), {"area": area, "household_id": homes[i % len(homes)], "visitor": "李",
                                   "kind": "elderly_care" if elder else "poverty_monitoring", "visited_on": _day(rng, 200),
                                   "elder_id": elders[i % len(elders)] if elder else None,
                                   "case_id": None if elder else cases[i % len(cases)]})
    for table, first in (("service_requests", "submitted"), ("grievances", "open")):
        history = "history" if table == "service_requests" else "responses"
        for i in range(n[table]):
            extra = {"applicant_name": "王", "kind": "subsidy"} if table == "service_requests" else \
                {"category": "road", "description": "路"}
            w.put(table, _id(rng), {"area": area, "ticket": f"{table[0].upper()}-{i:04d}-0000", **extra,
                                    "status": rng.choice((first, first, "rejected" if first == "submitted" else "closed")),
                                    history: json.dumps([{"status": first, "by": "kiosk", "at": _day(rng, 40) + "T08:00:00Z"}])})


def build(data, villages, records):
    """Make the hub in `data` with `villages` enrolled villages and about `records` records; return (node, links)."""
    hub = init_node(data, "county", "县", COUNTY, "zh_Hans")
    db = open_db(hub)
    rng, links = random.Random(7), []
    for v in range(villages):
        area = f"{COUNTY}/{v + 1:03d}"
        link, _code = add_node(db, f"村{v + 1}", area, COUNTY)
        links.append(link)
        seen = utc_text() if v % 10 else "2024-01-01T00:00:00Z"  # a tenth of them silent
        report = {"records_waiting": v % 7, "files_waiting": 0, "free_disk_mb": 500 + 100 * v,
                  "version": station.program_version(), "cert_expires": None}
        with transaction(db):
            db.execute("UPDATE nodes SET enrolled_by = ?, enrolled_at = ?, last_seen = ?, clock_skew_ms = ?, status = ?, "
                       "status_at = ? WHERE node_id = ?", [f"v{v}", utc_text(), seen, rng.randint(-9000, 9000),
                                                          json.dumps(report), seen, link])
        with writing(db, hub.node_id) as w:
            _village(w, rng, area, records // villages)
    with transaction(db):
        rollups.rebuild(db)
    add_user(db, "bench", "county", "bench-password")
    db.execute("ANALYZE")
    db.close()
    return hub, links


def _batch(rng, area, node_tag, start, size):
    """Return `size` new changes from one village (care visits and requests), as a push carries them."""
    changes, hlc = [], int(time.time() * 1000) << 16
    for i, row_id in enumerate(_id(rng) for _ in range(size)):
        hlc += 1
        data = {"area": area, "ticket": f"S-9{start + i:07d}"[:11], "applicant_name": "王", "kind": "subsidy",
                "status": "submitted", "history": [{"status": "submitted", "by": "kiosk", "at": utc_text()}]}
        changes.append({"tbl": "service_requests", "op": "put", "row_id": row_id, "version": make_version(hlc, node_tag),
                        "area": area, "prev_area": None, "data": data, "base": None})
    return changes


def apply_overhead(data, hub, links, batches=6, size=1000):
    """Apply the same kind of batch with and without the roll-up hook, alternately; return the medians."""
    db = open_db(hub)
    rng = random.Random(3)
    row = db.execute("SELECT node_id, area FROM nodes WHERE node_id = ?", [links[0]]).fetchone()
    link = {"link_id": row[0], "area": row[1]}
    times = {"with": [], "without": []}
    cursor = 0
    for i in range(batches * 2):
        hook = "with" if i % 2 else "without"
        changes = _batch(rng, row[1], "v0", i * size, size)
        started = time.perf_counter()
        receive_push(db, hub.node_id, link, {"start": cursor, "end": cursor + size}, changes, policy=trust.policy,
                     after_apply=rollups.after_apply if hook == "with" else None)
        times[hook].append((time.perf_counter() - started) * 1000)
        cursor += size
        if hook == "without":  # the hook of the next batch must not pay for this one's changes
            with transaction(db):
                rollups.catch_up(db)
    db.close()
    med = {k: statistics.median(v) for k, v in times.items()}
    return {"batch": size, "with_ms": round(med["with"], 1), "without_ms": round(med["without"], 1),
            "slower_pct": round(100 * (med["with"] / med["without"] - 1), 1)}


def county_pages(work, villages=200, records=1_000_000):
    """Build (or reuse) the big hub, measure every county page at 10 clients, then the cost of the roll-ups."""
    data = Path(work) / f"county-{villages}-{records}"
    started = time.perf_counter()
    hub, links = build(data, villages, records)
    built_s = round(time.perf_counter() - started)
    one = f"{COUNTY}/002"
    paths = {"overview": "/county/", "overview of one village": f"/county/?area={one}", "health": "/county/health",
             "villages to phone": "/county/health/phone", "completeness": "/county/completeness",
             "monitoring steps": f"/county/steps?area={one}", "open requests 0-3 days": "/county/lists/requests?age=0-3",
             "overdue elders": "/county/lists/overdue-elders"}
    server = Served(data)
    try:
        jars = [_clerk_cookies(server.url)() for _ in range(10)]
        first = time.perf_counter()
        measure(server.url, {"first completeness": "/county/completeness"}, clients=1, per_client=1, jars=jars)
        first_ms = round((time.perf_counter() - first) * 1000)
        measure(server.url, paths, clients=10, per_client=5, jars=jars)  # warm every thread's connection
        pages = measure(server.url, paths, clients=10, per_client=30, jars=jars)
    finally:
        server.stop()
    return {"villages": villages, "records": records, "build_s": built_s, "first_completeness_ms": first_ms,
            "pages": pages, "apply": apply_overhead(data, hub, links)}


if __name__ == "__main__":
    import tempfile

    villages, records = (int(a) for a in (sys.argv[1:3] if len(sys.argv) > 2 else (20, 50_000)))
    print(json.dumps(county_pages(tempfile.mkdtemp(prefix="county-"), villages, records), ensure_ascii=False, indent=1))
