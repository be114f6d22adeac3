"""A village back after 30 days offline: its whole backlog both ways in one sync round (part of bench/hub_bench.py).

A real village node (SQLite, the write path, `run_sync` as the scheduler runs it) of
`village_households` households syncs once, then is cut off for `days` days. Each day it writes
`per_day` changes of its own (half of them new households with a member each, half edits of
household heads); meanwhile another node of its area (the township's, simulated) sets the
address of `per_day` / 3 of its households a day at the hub, behind the log of every other
village. Timed: the round that brings both sides level.
"""
import time

from hub_sim import COUNTY, SimVillage, address_changes, now_stamp, register
from sync.server import add_node
from village.node import init_node, open_db
from village.ops.sync import enroll, run_sync
from village.records import core

CODE = "901"  # a real node takes digits only


def _families(db, node, start, count):
    """Write `count` households with one member each through the write path; return their ids."""
    ids = []
    with core.write(db, node) as writer:
        for i in range(start, start + count):
            hid = core.save(writer, node, "households", {"code": f"H{i:06d}", "head_name": f"张{i}", "members": 1})
            core.save(writer, node, "persons", {"household_id": hid, "name": f"张{i}", "sex": "male"})
            ids.append(str(hid))
    return ids


def _village(work, store, url, households):
    """Return (node, db, household ids) of a village enrolled at the hub and level with it."""
    node = init_node(work / "offline-village", "village", "村", f"{COUNTY}/{CODE}", "en")
    db = open_db(node)
    _link, code = add_node(store, "村", node.area, COUNTY)
    enroll(node, db, url, code, insecure=True)
    ids = _families(db, node, 0, households)
    if not run_sync(node, db=db).ok:
        raise RuntimeError("the village's first round failed")
    return node, db, ids


def _offline_days(db, node, ids, days, per_day):
    """Write the village's own changes of `days` days; return how many."""
    families, edits = per_day // 4, per_day // 2
    for day in range(days):
        _families(db, node, len(ids) + day * families, families)
        with core.write(db, node) as writer:
            for n in range(edits):
                core.save(writer, node, "households", {"head_name": f"王{day}-{n}"}, row_id=ids[(day * edits + n) % len(ids)])
    return days * (2 * families + edits)


def catch_up(work, store, url, sizes):
    """Return the figures of one village's round after `sizes["days"]` days offline."""
    days, per_day = sizes["days"], sizes["per_day"]
    node, db, ids = _village(work, store, url, sizes["village_households"])
    pushed = _offline_days(db, node, ids, days, per_day)
    township = SimVillage(url, *register(store, CODE))
    edited = ids[::-1][:max(1, days * per_day // 3)]
    township.write(address_changes(township.node_id, [(i, node.area) for i in edited], now_stamp()))
    township.sync_round()
    started = time.perf_counter()
    result = run_sync(node, db=db)
    seconds = time.perf_counter() - started
    addressed = db.execute("SELECT COUNT(*) FROM households WHERE address IS NOT NULL").fetchone()[0]
    at_hub = store.execute("SELECT COUNT(*) FROM households WHERE area = ?", [node.area]).fetchone()[0]
    logged = store.execute("SELECT COUNT(*), COUNT(DISTINCT version) FROM _changes WHERE area = ?",
                           [node.area]).fetchone()
    db.close()
    expected_log = 2 * len(ids) + pushed + len(edited)
    households = len(ids) + days * (per_day // 4)
    return {"days": days, "pushed": result.pushed, "pulled": result.pulled, "seconds": round(seconds, 2),
            "ok": result.ok, "exactly_once": (result.pushed, result.pulled, addressed, at_hub, tuple(logged)) == (
                pushed, len(edited), len(set(edited)), households, (expected_log, expected_log))}
