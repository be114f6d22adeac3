"""Sync benchmarks: loopback push, a lossy 2G link, and a county under load."""
import concurrent.futures
import time

from dataset import farm_records
from nodes import Served, make_hub, make_village, table_ids, village_sync, write_records
from sync.meta import HUB_URL, set_meta
from sync.store import transaction
from tests.faultproxy import FaultProxy
from village.ops.sync import run_sync

BITS_256K = 32_000  # bytes per second of a 256 kbit/s link


def exactly_once(hub_db, expected):
    """Return True when the hub holds exactly the `expected` household and plot ids, each once."""
    got_h, rows_h = table_ids(hub_db, "households")
    got_p, rows_p = table_ids(hub_db, "plots")
    return (got_h | got_p) == expected and rows_h + rows_p == len(expected)


def clean_round(work, name, households, plots_per, seed, sync):
    """Sync a village's households and plots to a served hub over a clean, counting link.

    `sync(village)` runs the round; return (records, hub db, its result, bytes up, bytes down).
    """
    hub, hub_db = make_hub(work / name)
    server = Served(hub.data_dir)
    try:
        with FaultProxy(server.port) as proxy:
            village, db = make_village(work / name, hub_db, proxy.url, 1)
            hh, plots = farm_records(households, plots_per, village.area, seed=seed)
            write_records(village, db, hh, plots)
            proxy.counters.clear()
            result = sync(village)
            return hh + plots, hub_db, result, proxy.counters["bytes_up"], proxy.counters["bytes_down"]
    finally:
        server.stop()


def push(work, households=10_000, plots_per=4):
    """Village to county on loopback through a counting proxy: records/s of `village sync`, bytes per record."""
    records, hub_db, (seconds, code), up, down = clean_round(
        work, "push", households, plots_per, 1, lambda village: village_sync(village.data_dir))
    total = len(records)
    return {"records": total, "seconds": round(seconds, 2), "records_per_s": round(total / seconds),
            "bytes_per_record": round((up + down) / total, 1), "bytes_up": up, "bytes_down": down,
            "exit_code": code, "all_applied_exactly_once": exactly_once(hub_db, {r["id"] for r in records})}


def lossy(work, households=2_000, plots_per=4, seed=9):
    """10,000 records through 256 kbit/s, 300 ms RTT, a third of exchanges broken; against the bandwidth alone."""
    hub, hub_db = make_hub(work / "lossy")
    server = Served(hub.data_dir)
    try:
        link = {"bandwidth": BITS_256K, "latency": 0.15}
        with FaultProxy(server.port, **link) as clean:
            village, db = make_village(work / "lossy", hub_db, clean.url, 1)
        # Exactly every third exchange breaks, the three kinds in turn (a random draw of one in
        # three broke anywhere from 0 to 9 of 19 exchanges, depending on the seed).
        with FaultProxy(server.port, seed=seed, break_every=3, **link) as proxy:
            with transaction(db):
                set_meta(db, HUB_URL, proxy.url)
            hh, plots = farm_records(households, plots_per, village.area, seed=seed)
            write_records(village, db, hh, plots)
            proxy.counters.clear()
            started, rounds = time.perf_counter(), 0
            while True:
                rounds += 1
                if run_sync(village).ok:
                    break
            seconds = time.perf_counter() - started
            counters = dict(proxy.counters)
    finally:
        server.stop()
    total = len(hh) + len(plots)
    # What the bandwidth alone needs: the bytes a clean round of the same records puts on the wire.
    _records, _db, ok, up, down = clean_round(work, "lossy-clean", households, plots_per, seed,
                                             lambda village: run_sync(village).ok)
    assert ok
    ideal = max(up, down) / BITS_256K
    broken = sum(counters.get(k, 0) for k in ("cut_request", "cut_response", "dropped_response", "refused"))
    return {"records": total, "seconds": round(seconds, 1), "bandwidth_alone_s": round(ideal, 1),
            "ratio": round(seconds / ideal, 2), "rounds": rounds, "exchanges": counters.get("exchanges", 0),
            "broken_exchanges": broken, "all_applied_exactly_once": exactly_once(hub_db, {r["id"] for r in hh + plots})}


def county_load(work, villages=200, households=200, plots_per=4):
    """`villages` villages of 1,000 records each sync at once to one hub: exactly once, throughput, p95."""
    hub, hub_db = make_hub(work / "load")
    server = Served(hub.data_dir)
    try:
        nodes, expected = [], set()
        for index in range(1, villages + 1):
            node, db = make_village(work / "load", hub_db, server.url, index)
            hh, plots = farm_records(households, plots_per, node.area, seed=index)
            write_records(node, db, hh, plots)
            expected |= {r["id"] for r in hh + plots}
            db.close()
            nodes.append(node)

        def one(node):
            started = time.perf_counter()
            rounds = 0
            while True:
                rounds += 1
                result = run_sync(node)
                if result.ok or rounds > 20:
                    return time.perf_counter() - started, result.ok, rounds

        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(max_workers=villages) as pool:
            outcomes = list(pool.map(one, nodes))
        wall = time.perf_counter() - started
        times = sorted(t for t, _ok, _r in outcomes)
        total = len(expected)
        return {"villages": villages, "records": total, "seconds": round(wall, 1), "records_per_s": round(total / wall),
                "p95_sync_s": round(times[int(0.95 * (len(times) - 1))], 2), "max_sync_s": round(times[-1], 2),
                "all_ok": all(ok for _t, ok, _r in outcomes), "extra_rounds": sum(r - 1 for _t, _ok, r in outcomes),
                "all_applied_exactly_once": exactly_once(hub_db, expected)}
    finally:
        server.stop()
