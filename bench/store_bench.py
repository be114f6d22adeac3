"""The hub's store on SQLite and on PostgreSQL side by side: changes applied per second, one writer.

`python bench/store_bench.py [COUNT]` applies COUNT new records (default 50,000) from one village
through the engine's own apply path (`sync.batch.apply_changes`: a row and its change-log entry
each, in batches of 500, one transaction per batch) on a fresh SQLite file and on a fresh
database of a throwaway PostgreSQL cluster (fsync on, as a real hub), and prints records/s.
Not yet part of `make bench` (bench/run.py): see docs/postgresql.md.
"""
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from sync.batch import apply_changes  # noqa: E402
from sync.changelog import writing  # noqa: E402
from sync.clock import make_version  # noqa: E402
from sync.migrations import migrations  # noqa: E402
from sync.stores import open_store  # noqa: E402
from tests.pg_helpers import Cluster  # noqa: E402

AREA = "52/5201/520102/001"
NOTES = ("CREATE TABLE notes (id TEXT PRIMARY KEY, area TEXT NOT NULL, text TEXT, _version TEXT NOT NULL, "
         "_origin TEXT NOT NULL, _deleted INTEGER NOT NULL DEFAULT 0, _fv TEXT NOT NULL)")
STAMP = 0x0190_0000_0000_0000


def changes(count):
    """Return `count` new-record changes as one village sends them."""
    return [{"tbl": "notes", "row_id": f"r{i:07d}", "version": make_version(STAMP + i, "v1"), "op": "put",
             "data": {"area": AREA, "text": f"第{i}条 note"}, "area": AREA, "prev_area": None, "base": None}
            for i in range(count)]


def apply_rate(store, batch, count=50_000, size=500):
    """Apply `batch` in transactions of `size` changes; return records per second."""
    start = time.perf_counter()
    for i in range(0, len(batch), size):
        with writing(store, "hub") as writer:
            apply_changes(writer, batch[i:i + size], "v1")
    return len(batch) / (time.perf_counter() - start)


def sqlite_store(path):
    """Return a fresh SQLite store at `path` with the engine's tables and `notes`."""
    store = open_store(path)
    migrations.apply(store.db)
    store.db.execute(NOTES)
    return store


def main(count=50_000):
    """Measure both stores; return {engine: records per second}."""
    batch, results = changes(count), {}
    with tempfile.TemporaryDirectory() as work:
        store = sqlite_store(Path(work) / "hub.db")
        results["sqlite"] = round(apply_rate(store, batch))
        store.close()
    cluster = Cluster(fsync=True).start()
    try:
        store = open_store(cluster.url())
        with store.transaction() as tx:
            tx.conn.execute(NOTES)
        results["postgresql"] = round(apply_rate(store, batch))
        store.close()
    finally:
        cluster.stop()
    return results


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)))
