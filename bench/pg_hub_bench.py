"""A village's push to a county hub over real HTTP: the SQLite hub and the PostgreSQL hub side by side.

`python bench/pg_hub_bench.py [HOUSEHOLDS]` makes, for each store, a county hub (`init --database`
for PostgreSQL, on a throwaway cluster with fsync on, as a real hub), serves it with cheroot on
127.0.0.1, enrolls one village holding HOUSEHOLDS households and one member each, and times one
`village sync` round: records/s applied end to end (screening, trust policy, roll-ups included),
and whether every record arrived exactly once. Not yet part of `make bench`: see docs/postgresql.md.
"""
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent), str(HERE.parent / "tests")]

from pg_helpers import Cluster  # noqa: E402
from sync.server import add_node  # noqa: E402
from village import create_app  # noqa: E402
from village.hubdb import sync_store  # noqa: E402
from village.node import init_node, open_db  # noqa: E402
from village.ops.sync import enroll, run_sync  # noqa: E402
from village.records import core  # noqa: E402

COUNTY, VILLAGE = "52/5201/520102", "52/5201/520102/001"


def _village_records(db, node, households):
    with core.write(db, node) as writer:
        for i in range(households):
            hid = core.save(writer, node, "households", {"code": f"H{i:06d}", "head_name": f"张{i}", "members": 1})
            core.save(writer, node, "persons", {"household_id": hid, "name": f"张{i}", "sex": "male"})


def one_push(work, households, database=""):
    """Return {records, seconds, records_per_s, exactly_once} of one village's first sync round."""
    from cheroot import wsgi

    hub = init_node(work / "hub", "county", "县", COUNTY, "en", database)
    hub_db = open_db(hub)
    store = sync_store(hub, hub_db)
    app = create_app({"NODE": hub})
    server = wsgi.Server(("127.0.0.1", 0), app, numthreads=4)
    server.prepare()
    threading.Thread(target=server.serve, daemon=True).start()
    village = init_node(work / "village", "village", "村", VILLAGE, "en")
    db = open_db(village)
    _, code = add_node(store, "村", VILLAGE, COUNTY)
    enroll(village, db, f"http://127.0.0.1:{server.bind_addr[1]}", code, True)
    _village_records(db, village, households)
    started = time.perf_counter()
    ok = run_sync(village, db=db).ok
    seconds = time.perf_counter() - started
    held = store.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM households").fetchone()
    server.stop()
    if database:
        from village.web.db import close_store

        close_store(app)
        store.close()
    db.close()
    hub_db.close()
    records = 2 * households
    return {"records": records, "seconds": round(seconds, 2), "records_per_s": round(records / seconds),
            "in_sync": ok, "exactly_once": tuple(held) == (households, households)}


def main(households=5_000):
    cluster = Cluster(fsync=True).start()
    try:
        with tempfile.TemporaryDirectory() as work:
            results = {"sqlite": one_push(Path(work) / "s", households)}
            name = cluster.fresh_database()
            results["postgresql"] = one_push(Path(work) / "p", households, cluster.url(name))
    finally:
        cluster.stop()
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5_000)
