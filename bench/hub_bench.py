"""A county hub under many villages at once: the SQLite hub and the PostgreSQL hub side by side (issue #15).

`python bench/hub_bench.py [SCALE]` (`make bench` runs it at scale 1) starts its own throwaway
PostgreSQL 15 cluster with fsync on (tests/pg_helpers.py), and for each store makes a county
hub (`init --database` for PostgreSQL) served by `village serve` (its processes and threads as
deployed) on 127.0.0.1, then measures:

- **push at once**: 1, 8, 32 and 128 simulated villages (bench/hub_sim.py: real HTTP, signed
  batches sized as a node sizes them) push their first records at the same moment; records/s
  applied (screening, trust policy and roll-ups included), p95 per village, every record at the
  hub exactly once;
- **empty polls**: villages with nothing new poll `/sync/pull` at an offered 1,000 polls a
  second (each at its own time slot, sent by two lean load processes: bench/poller.py); p50 and
  p95 of one poll, and the rate reached;
- **1,000 villages** start one sync round each at once (push, then pull), one thread each;
  p95 of a village's round, every record exactly once;
- **30 days offline**: a real village node (SQLite, `run_sync` as the scheduler runs it) comes
  back after 30 days: its own writes of those days to push, and the edits another node of its
  area made to its households meanwhile to pull, behind the log of every other village.
"""
import concurrent.futures
import contextlib
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent), str(HERE.parent / "tests")]

from hub_sim import COUNTY, SimVillage, family_changes, now_stamp, register  # noqa: E402
from nodes import Served  # noqa: E402
from offline_bench import catch_up  # noqa: E402
from pg_helpers import Cluster  # noqa: E402
from poller import poll_at_rate  # noqa: E402
from village.hubdb import close_store, sync_store  # noqa: E402
from village.node import init_node, open_db  # noqa: E402

SIZES = {"push_records": 64_000, "at_once": (1, 8, 32, 128), "poll_rate": 1_000, "poll_seconds": 10,
         "pollers": 50, "villages": 1_000, "village_records": 20, "days": 30, "per_day": 300,
         "village_households": 1_000}
PUSH_TARGET_PG = 20_000


def percentile(values, fraction):
    """Return the value at `fraction` (0..1) of the sorted `values`."""
    values = sorted(values)
    return values[min(len(values) - 1, int(fraction * len(values)))]


@contextlib.contextmanager
def served_hub(work, database=""):
    """Make a county hub in `work` (on PostgreSQL when `database`), serve it; yield (node, store, url)."""
    node = init_node(work / "hub", "county", "县", COUNTY, "en", database)
    db = open_db(node)
    store = sync_store(node, db)
    server = Served(node.data_dir)
    try:
        yield node, store, server.url
    finally:
        server.stop()
        close_store(store, db)
        db.close()


def enroll_many(store, url, codes):
    """Return a SimVillage enrolled at the hub for each area code in `codes` (a few enrollments at a time)."""
    registered = [register(store, code) for code in codes]  # the hub's database, from this one thread
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda pair: SimVillage(url, *pair), registered))


def at_once(villages, work):
    """Run `work(village)` for every village, each in its own thread, all released at one moment.

    Return (wall seconds, [seconds of each village], [results]).
    """
    gate, outcomes = threading.Barrier(len(villages) + 1), [None] * len(villages)

    def run(i):
        gate.wait()
        started = time.perf_counter()
        result = work(villages[i])
        outcomes[i] = (time.perf_counter() - started, result)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(villages))]
    for thread in threads:
        thread.start()
    gate.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if None in outcomes:
        raise RuntimeError("a village's round failed (see above)")
    return wall, [o[0] for o in outcomes], [o[1] for o in outcomes]


def held_once(store, prefix, expected):
    """Return True when the hub holds `expected` records of the villages whose area codes start with `prefix`.

    Each record once: as many rows as distinct ids in each table, as many change-log entries.
    """
    like = f"{COUNTY}/{prefix}%"
    rows = ids = 0
    for table in ("households", "persons"):
        count, distinct = store.execute(f"SELECT COUNT(*), COUNT(DISTINCT id) FROM {table} WHERE area LIKE ?",
                                        [like]).fetchone()
        rows, ids = rows + count, ids + distinct
    logged = store.execute("SELECT COUNT(*) FROM _changes WHERE area LIKE ?", [like]).fetchone()[0]
    return rows == ids == logged == expected


def push_at_once(store, url, count, records):
    """`count` villages push `records` records between them at one moment; return the figures."""
    prefix = f"p{count}v"
    villages = enroll_many(store, url, [f"{prefix}{i}" for i in range(count)])
    families = max(1, records // count // 2)
    for i, village in enumerate(villages):
        village.write(family_changes(village.node_id, village.area, i * families, families, now_stamp()))
        village.client.ping()
    wall, each, applied = at_once(villages, SimVillage.push)
    for village in villages:
        village.close()
    total = 2 * families * count
    return {"villages": count, "records": total, "seconds": round(wall, 2), "records_per_s": round(total / wall),
            "p95_village_s": round(percentile(each, 0.95), 2),
            "exactly_once": sum(applied) == total and held_once(store, prefix, total)}


def empty_polls(store, url, pollers, rate, seconds):
    """Villages with nothing new poll at an offered `rate` a second for `seconds`; return the figures.

    The polls are sent by two load processes that cost little CPU (bench/poller.py), so that
    the hub's answer is what is timed, not a client's work on the same two cores.
    """
    villages = enroll_many(store, url, [f"e{i}" for i in range(pollers)])
    for village in villages:
        village.pull()  # to the end of the log: what follows is all empty
        village.close()
    host, port = url.split("//")[1].split(":")
    took, wall, connects = poll_at_rate(host, int(port), [(v.client.node_id, v.client.secret, v.client.nonce, v.pull_cursor)
                                                for v in villages], rate, seconds)
    return {"offered_per_s": rate, "polls": len(took), "reached_per_s": round(len(took) / wall),
            "p50_ms": round(percentile(took, 0.5), 1), "p95_ms": round(percentile(took, 0.95), 1),
            "connections": connects}


def thousand(store, url, count, records_each):
    """`count` villages each start one sync round (push, then pull) at one moment; return the figures."""
    villages = enroll_many(store, url, [f"t{i}" for i in range(count)])
    families = max(1, records_each // 2)
    for i, village in enumerate(villages):
        village.write(family_changes(village.node_id, village.area, i * families, families, now_stamp()))
    wall, each, results = at_once(villages, SimVillage.sync_round)
    total = 2 * families * count
    return {"villages": count, "records": total, "seconds": round(wall, 1), "records_per_s": round(total / wall),
            "p50_village_s": round(percentile(each, 0.5), 2), "p95_village_s": round(percentile(each, 0.95), 2),
            "max_village_s": round(max(each), 2), "rounds_again": sum(tries - 1 for _a, _p, tries in results),
            "exactly_once": sum(a for a, _p, _t in results) == total and held_once(store, "t", total)}


def one_hub(work, sizes, database=""):
    """Measure one hub (SQLite, or PostgreSQL at `database`); return its figures."""
    with served_hub(work, database) as (node, store, url):
        figures = {"push": [push_at_once(store, url, n, sizes["push_records"]) for n in sizes["at_once"]]}
        figures["empty_poll"] = empty_polls(store, url, sizes["pollers"], sizes["poll_rate"], sizes["poll_seconds"])
        figures["villages_at_once"] = thousand(store, url, sizes["villages"], sizes["village_records"])
        figures["offline_30_days"] = catch_up(work, store, url, sizes)
    return figures


def hubs(work, scale=1.0, **sizes_given):
    """Measure the SQLite hub and the PostgreSQL hub in one run; return {sizes, sqlite, postgresql}.

    `scale` shrinks the record counts, the villages at once and the polling time; `sizes_given` sets any of SIZES.
    """
    sizes = dict(SIZES)
    for key in ("push_records", "poll_seconds", "villages", "per_day", "village_households"):
        sizes[key] = max(1, round(SIZES[key] * scale))
    sizes.update(sizes_given)
    work = Path(work)
    cluster = Cluster(fsync=True).start()
    try:
        results = {"sizes": sizes, "sqlite": one_hub(work / "sqlite", sizes)}
        print(json.dumps(results["sqlite"]), flush=True)
        results["postgresql"] = one_hub(work / "postgresql", sizes, cluster.url(cluster.fresh_database()))
    finally:
        cluster.stop()
    return results


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(hubs(tmp, float(sys.argv[1]) if len(sys.argv) > 1 else 1.0), indent=2))
