"""The county pages at scale: a hub holding 200 villages and 1,000,000 records.

Measures every county page at 10 clients (target p99 < 100 ms) and what keeping the roll-ups
costs a push: the same batches applied with and without the roll-up hook (target <= 10 % slower).
Run alone: python bench/county_bench.py [villages] [records]; only the roll-ups' cost, on a hub
built once and kept in WORK (each run on a copy): python bench/county_bench.py --apply WORK [villages] [records] [runs].
"""
import datetime
import json
import random
import shutil
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
from village.node import init_node, load_node, open_db  # noqa: E402
from village.ops import station  # noqa: E402
from village.records import alerts, prices, rollups, trust  # noqa: E402
from village.records.terms import PRICE_UNIT  # noqa: E402
from village.users import add_user  # noqa: E402

COUNTY = "52/5201/520102"
SHARES = (("households", 0.3), ("persons", 0.4), ("visits", 0.2), ("service_requests", 0.04),
          ("grievances", 0.02), ("monitor_cases", 0.02), ("elder_profiles", 0.02))


def _id(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _day(rng, within=400):
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() - rng.randint(0, within) * 86400))


def _village(rng, area, count):
    """Yield about `count` records (table, id, fields) of one village, each table's after those it refers to.

    Household codes and tickets carry the village's number, as real ones are the village's own.
    """
    n = {table: max(1, int(count * share)) for table, share in SHARES}
    v = int(area.rsplit("/", 1)[1])
    homes = [_id(rng) for _ in range(n["households"])]
    for i, hid in enumerate(homes):
        yield "households", hid, {"area": area, "code": f"H{v:03d}-{i:05d}", "head_name": f"张{i}", "members": 3}
    people = [_id(rng) for _ in range(n["persons"])]
    for i, pid in enumerate(people):
        yield "persons", pid, {"area": area, "household_id": homes[i % len(homes)], "name": f"李{i}"}
    elders = [_id(rng) for _ in range(n["elder_profiles"])]
    for i, eid in enumerate(elders):
        yield "elder_profiles", eid, {"area": area, "person_id": people[i],
                                      "tier": rng.choice(("high", "key", "general")), "next_visit_due": _day(rng, 300)}
    cases = [_id(rng) for _ in range(n["monitor_cases"])]
    for i, cid in enumerate(cases):
        monitored = i % 3 != 0
        yield "monitor_cases", cid, {"area": area, "household_id": homes[i], "channel": "self_report",
                                     "lead_on": _day(rng, 60), "status": "monitored" if monitored else "lead",
                                     "category": rng.choice(("unstable_exited", "edge_vulnerable")),
                                     "risks": [rng.choice(("illness", "disability", "schooling"))],
                                     "county_on": _day(rng, 200) if monitored else None}
    for i in range(n["visits"]):
        elder = i % 2 == 0
        yield "visits", _id(rng), {"area": area, "household_id": homes[i % len(homes)], "visitor": "李",
                                   "kind": "elderly_care" if elder else "poverty_monitoring",
                                   "visited_on": _day(rng, 200), "elder_id": elders[i % len(elders)] if elder else None,
                                   "case_id": None if elder else cases[i % len(cases)]}
    for table, first in (("service_requests", "submitted"), ("grievances", "open")):
        history = "history" if table == "service_requests" else "responses"
        for i in range(n[table]):
            extra = {"applicant_name": "王", "kind": "subsidy"} if table == "service_requests" else \
                {"category": "road", "description": "路"}
            yield table, _id(rng), {"area": area, "ticket": f"{table[0].upper()}-{i:04d}-{v:04d}", **extra,
                                    "status": rng.choice((first, first, "rejected" if first == "submitted" else "closed")),
                                    history: [{"status": first, "by": "kiosk", "at": _day(rng, 40) + "T08:00:00Z"}]}


def _push_village(db, hub, link, area, tag, records, size=5000):
    """Push a village's records to the hub in batches, in-process, as `village sync` would: the same apply path,
    the roll-ups kept by the same hook; a batch holds one table (a record's references arrive before it).

    A monitored case is the county's decision: written at the hub by its own writer, as the case page does.
    """
    hlc, cursor, batch, decided = int(time.time() * 1000) << 16, 0, [], []

    def send():
        nonlocal cursor
        ack = receive_push(db, hub.node_id, link, {"start": cursor, "end": cursor + len(batch)}, batch,
                           policy=trust.policy, after_apply=rollups.after_apply)
        assert not ack["refused"], ack["refused"][:2]  # every record made here must be valid
        cursor += len(batch)
        batch.clear()
        with writing(db, hub.node_id) as w:
            for row_id, data in decided:
                w.put("monitor_cases", row_id, {**data, "risks": json.dumps(data["risks"])})
            rollups.catch_up(db)
        decided.clear()

    for table, row_id, data in records:
        if batch and (len(batch) >= size or batch[-1]["tbl"] != table):
            send()
        if table == "monitor_cases" and data["status"] == "monitored":
            decided.append((row_id, data))
            continue
        hlc += 1
        batch.append({"tbl": table, "op": "put", "row_id": row_id, "version": make_version(hlc, tag), "area": area,
                      "prev_area": None, "data": data, "base": None})
    if batch:
        send()


def _prices_and_alert(db, hub, lines=700, days=14):
    """Publish two weeks of prices of `lines` product lines, and an alert over the county, as the county pages do."""
    today, rows = datetime.date.today(), []
    for day in range(days):
        for i in range(lines):
            row = {"observed_on": (today - datetime.timedelta(days=day)).isoformat(), "market": f"市场{i % 7}",
                   "commodity": f"品名{i // 7:03d}", "spec": "一级", "price": 2.0 + i % 50 + day / 10, "unit": PRICE_UNIT,
                   "currency": "CNY", "min_price": None, "max_price": None}
            rows.append({**row, "id": prices.price_id(row), "row": 0})
    prices.publish(db, hub, rows)
    alerts.compose(db, hub, "山洪预警", "", "远离河道", "Severe", COUNTY, 24, "zh_Hans", actor="bench")


def build(data, villages, records):
    """Make the hub in `data` with `villages` enrolled villages and about `records` records; return (node, links).

    Each village's records reach the hub through the push path (`sync.server.receive_push`), in-process.
    """
    hub = init_node(data, "county", "县", COUNTY, "zh_Hans")
    db = open_db(hub)
    db.execute("PRAGMA synchronous = OFF")  # a hub made to be measured: no need to survive a power cut while built
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
        _push_village(db, hub, {"link_id": link, "area": area}, area, f"v{v}", _village(rng, area, records // villages))
    _prices_and_alert(db, hub)
    add_user(db, "bench", "county", "bench-password")
    db.execute("ANALYZE")
    db.close()
    return hub, links


def _batch(rng, area, node_tag, start, size, elders):
    """Return `size` new changes from one village as a push carries them: half service requests, half care
    visits to its elders (`elders`: [(elder id, household id)]), each of which moves an elder's due day."""
    changes, hlc = [], int(time.time() * 1000) << 16
    for i, row_id in enumerate(_id(rng) for _ in range(size)):
        hlc += 1
        if i % 2:
            elder, home = rng.choice(elders)
            table, data = "visits", {"area": area, "household_id": home, "visitor": "李", "kind": "elderly_care",
                                     "visited_on": _day(rng, 3), "elder_id": elder, "case_id": None}
        else:
            table, data = "service_requests", {
                "area": area, "ticket": f"S-{start + i:04d}-9{start + i:07d}"[:16], "applicant_name": "王",
                "kind": "subsidy", "status": "submitted",
                "history": [{"status": "submitted", "by": "kiosk", "at": utc_text()}]}
        changes.append({"tbl": table, "op": "put", "row_id": row_id, "version": make_version(hlc, node_tag),
                        "area": area, "prev_area": None, "data": data, "base": None})
    return changes


def apply_overhead(data, hub, links, batches=30, size=1000):
    """Push the same batches to two copies of the hub, one keeping the roll-ups and one not; return the medians.

    Each batch is pushed as `village sync` pushes it (`receive_push`, one transaction, one commit)
    to the hub with the roll-up hook, then to its copy without: what the roll-ups add to the
    commit (the pages their facts fill) is counted, and the commit itself once, as in a push. The
    hook's own work inside the push is timed too. All in CPU time (`time.process_time`): the
    machine is shared, and the wall clock would count other programs' turns.
    """
    twin_dir = Path(data).parent / (Path(data).name + "-without")
    shutil.rmtree(twin_dir, ignore_errors=True)
    shutil.copytree(data, twin_dir)
    db, twin = open_db(hub), open_db(load_node(twin_dir))
    rng = random.Random(3)
    row = db.execute("SELECT node_id, area FROM nodes WHERE node_id = ?", [links[0]]).fetchone()
    link = {"link_id": row[0], "area": row[1]}
    elders = db.execute("SELECT e.id, p.household_id FROM elder_profiles e JOIN persons p ON p.id = e.person_id "
                        "WHERE e.area = ?", [row[1]]).fetchall()
    kept, applied, hooked = [], [], []

    def hook(*args):
        started = time.process_time()
        rollups.after_apply(*args)
        hooked.append((time.process_time() - started) * 1000)

    for i in range(batches):
        changes = _batch(rng, row[1], "v0", i * size, size, elders)
        pair = ((db, hook, kept), (twin, None, applied))
        for target, after_apply, times in pair[::1 if i % 2 else -1]:  # each first in turn
            batch = json.loads(json.dumps(changes))  # the push fixes its changes up: each copy its own
            started = time.process_time()
            ack = receive_push(target, hub.node_id, link, {"start": i * size, "end": (i + 1) * size}, batch,
                               policy=trust.policy, after_apply=after_apply)
            times.append((time.process_time() - started) * 1000)
            assert not ack["refused"], ack["refused"][:2]
    db.close()
    twin.close()
    shutil.rmtree(twin_dir)
    return {"batch": size, "batches": batches, "with_ms": round(statistics.median(kept), 1),
            "without_ms": round(statistics.median(applied), 1), "rollups_ms": round(statistics.median(hooked), 1),
            "slower_pct": round(100 * (sum(kept) - sum(applied)) / sum(applied), 1),
            "hook_pct": round(100 * sum(hooked) / sum(applied), 1)}


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
             "monitoring steps, the county": "/county/steps", "overdue elders": "/county/lists/overdue-elders",
             "monitored households": "/county/lists/monitored", "cases past the clock": "/county/lists/late-cases",
             "alerts": "/county/alerts/", "prices, 700 lines": "/county/prices/"}
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


def apply_only(work, villages, records, runs=1):
    """Measure the roll-ups' cost alone, `runs` times, each on a fresh copy of a hub built once in `work`."""
    kept = Path(work) / f"county-{villages}-{records}"
    if not (kept / "built").exists():
        shutil.rmtree(kept, ignore_errors=True)
        build(kept, villages, records)
        (kept / "built").write_text("")
    copy = Path(work) / "run"
    results = []
    for _ in range(runs):
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(kept, copy)
        hub = load_node(copy)
        db = open_db(hub)
        links = [r[0] for r in db.execute("SELECT node_id FROM nodes WHERE area = ?", [f"{COUNTY}/001"])]
        db.close()
        results.append(apply_overhead(copy, hub, links))
        print(json.dumps(results[-1]), flush=True)
    shutil.rmtree(copy, ignore_errors=True)
    return results


if __name__ == "__main__":
    import tempfile

    if sys.argv[1:2] == ["--apply"]:
        args = [int(a) for a in sys.argv[3:6]]
        apply_only(sys.argv[2], *(args + [20, 50_000, 3][len(args):]))
        sys.exit(0)
    villages, records = (int(a) for a in (sys.argv[1:3] if len(sys.argv) > 2 else (20, 50_000)))
    print(json.dumps(county_pages(tempfile.mkdtemp(prefix="county-"), villages, records), ensure_ascii=False, indent=1))
