"""A tablet's first load, before and after snapshots (issue #12 item 4): bytes and seconds, in Chromium.

Before: the village's change log replayed from cursor 0 (POST /sync/pull, 1,000 changes a batch). After: the
village as it stands (POST /sync/snapshot, pages of 1,000 changes), then the pull from the snapshot's cursor.
Both run in the field app itself (its `copy.js` keeps each batch, encrypted with the worker's key), one after the
other on the same tablet, with the CPU throttled 4x (Chromium's throttling: a cheap tablet). Bytes are the
request and answer bodies of every /sync/ exchange; the time a 256 kbit/s link would take for them is worked out.

Villages: the demo village (200 households, `village demo`), and the same with five years of follow-ups (every
household's and member's phone and address changed five times).

Run alone: `python bench/snapshot_bench.py` (Debian's Chromium; nodes in a temporary directory).
"""
import json
import random
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent), str(HERE.parent / "tests")]

THROTTLE = 4
LINK_BYTES_PER_S = 32_000  # 256 kbit/s
LOAD = """async (mode) => {
  const {modules} = await import(document.querySelector("script[type=module]").src);  // the running app
  const copy = modules["app/copy.js"], sync = modules["app/sync.js"], store = modules["app/store.js"];
  const who = modules["app/session.js"].worker().username;
  await store.put("snapshots", {owner: who});  // a fresh tablet's copy: none
  let bytes = 0, exchanges = 0;
  const real = window.fetch;
  window.fetch = async (url, options = {}) => {
    const answer = await real(url, options);
    const body = options.body ? (options.body.byteLength ?? new TextEncoder().encode(options.body).length) : 0;
    bytes += body + (await answer.clone().arrayBuffer()).byteLength;
    exchanges += 1;
    return answer;
  };
  const started = performance.now();
  try {
    if (mode === "snapshot") {
      for (let after = null;;) {
        const {envelope, changes} = await sync.snapshot(after);
        if ((await copy.applyPage(changes, envelope, after === null)).complete) break;
        after = envelope.after;
      }
    }
    for (let cursor = await copy.pulledUpTo();;) {
      const {envelope, changes} = await sync.pull(cursor);
      await copy.applyPulled(changes, envelope);
      cursor = envelope.last;
      if (!envelope.more) break;
    }
  } finally {
    window.fetch = real;
  }
  const held = await copy.held();
  return {ms: performance.now() - started, bytes, exchanges, households: (held.households || []).length,
          records: Object.values(held).reduce((n, rows) => n + rows.length, 0)};
}"""


def with_history(db, node, rounds=5, seed=3):
    """Change every household's and member's phone and address `rounds` times, a round per transaction."""
    from sync.changelog import writing
    from village.records import core

    rng = random.Random(seed)
    households = [r["id"] for r in core.rows(db, "households")]
    persons = [r["id"] for r in core.rows(db, "persons")]
    for r in range(rounds):
        with writing(db, node.node_id) as writer:
            for row_id in households:
                core.save(writer, node, "households", {"phone": f"139{rng.randrange(10 ** 8):08d}",
                                                       "address": f"{rng.randrange(99)}号 ({r})"}, row_id=row_id)
            for row_id in persons:
                core.save(writer, node, "persons", {"phone": f"138{rng.randrange(10 ** 8):08d}"}, row_id=row_id)


def first_loads(url, code, work, runs=3):
    """Enroll a tablet, then time each kind of first load `runs` times; return the median of each."""
    from conftest import CHROMIUM, CHROMIUM_ARGS
    from field_bench import enroll_worker
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(str(work / "profile"), executable_path=CHROMIUM,
                                                        args=CHROMIUM_ARGS,
                                                        viewport={"width": 800, "height": 1280})
        page = context.pages[0]
        enroll_worker(page, url, code)
        page.wait_for_selector("button.row")  # the app's own first load, done
        page.wait_for_function("() => !document.querySelector('#sync-now').textContent.includes('…')")
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": THROTTLE})
        out = {}
        for mode in ("replay", "snapshot"):
            results = sorted((page.evaluate(LOAD, mode) for _ in range(runs)), key=lambda r: r["ms"])
            median = results[len(results) // 2]
            out[mode] = {"s": round(median["ms"] / 1000, 2), "kb": round(median["bytes"] / 1024, 1),
                         "exchanges": median["exchanges"], "households": median["households"],
                         "records": median["records"],
                         "s_at_256kbit": round(median["bytes"] / LINK_BYTES_PER_S, 1)}
        context.close()
    return out


def village(work, name, rounds):
    """Make a demo village (with `rounds` of follow-ups), serve it, measure its first loads; return the figures."""
    from conftest import LiveServer
    from field_bench import PASSWORD
    from village import create_app
    from village.node import init_node, open_db
    from village.ops.demo import populate
    from village.ops.tablets import add_tablet
    from village.users import add_user

    node = init_node(work / name, "village", "红星村", "52/5201/520102/001", "zh_Hans")
    db = open_db(node)
    populate(db, node, households=200)
    if rounds:
        with_history(db, node, rounds)
    add_user(db, "field1", "fieldworker", PASSWORD)
    _link, code = add_tablet(node, db, "bench tablet")
    changes = db.execute("SELECT COUNT(*) FROM _changes").fetchone()[0]
    server = LiveServer(create_app({"NODE": node}))
    try:
        figures = first_loads(server.url, code, work / name)
    finally:
        server.stop()
        db.close()
    return {"changes_at_node": changes, **figures}


def main():
    work = Path(tempfile.mkdtemp(prefix="snapshot-bench-"))
    return {"demo_200": village(work, "demo", 0), "demo_200_five_years": village(work, "history", 5)}


if __name__ == "__main__":
    print(json.dumps(main(), ensure_ascii=False, indent=2))
