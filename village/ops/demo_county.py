"""The demo county: a hub and its villages, each a real node, brought together by the real sync protocol.

Under the demo's data directory (which is 红星村, the village served at :8080): `county/` the
hub, `villages/NNN/` the other villages. Every village is enrolled at the hub with a one-time
code and syncs over HTTP with the hub served on 127.0.0.1, as `village enroll` and
`village sync` do. The story the county's pages then tell:

- a few villages stopped syncing days ago (they enrolled and synced before the week's prices
  and the alert; their last contact is set back as a round then would have written it);
- the week's prices and an orange rainstorm warning for the whole county, imported from files
  by the functions of `village prices import` and `village alert import`;
- the alert delivered to every village still in contact, shown on most kiosks and confirmed
  by the clerks of half of them;
- the county's steps of monitoring taken at the hub, the villages' later steps after them;
- one open conflict (the county corrected a phone number the village changed too) and one
  held change (a notice a village clerk wrote: notices are the county's).
"""
import datetime
import os
import random
import socket
import subprocess
import sys
import time

from sync.server import add_node
from sync.store import transaction
from village.errors import Problem, sync_problem
from village.hubdb import audited, close_store, sync_store
from village.i18n_markers import N_
from village.node import init_node, load_node, open_db
from village.ops.demo import populate_enrolled
from village.ops.demo_care import county_steps, village_steps_after
from village.ops.demo_hub import publish_basics, publish_week
from village.ops.sync import enroll, run_sync
from village.records import core, receipts
from village.users import add_user

HUB_DIR, VILLAGES_DIR = "county", "villages"
HUB_NAME, HUB_AREA = "花溪区", "52/5201/520102"
DEMO_CLERK, DEMO_COUNTY_USER = ("clerk", "village-demo"), ("county", "village-demo")  # printed at each start
SERVED = ("001", "红星村")  # the village `village demo` serves: one of the county's
VILLAGES = [("002", "白云村"), ("003", "青山村"), ("004", "石门村"), ("005", "龙井村"), ("006", "桃园村"),
            ("007", "新寨村"), ("008", "大坪村"), ("009", "松林村"), ("010", "河口村"), ("011", "杨柳村"),
            ("012", "金竹村"), ("013", "高坡村"), ("014", "水田村"), ("015", "红岩村"), ("016", "茶山村"),
            ("017", "小河村"), ("018", "凉水村"), ("019", "平寨村"), ("020", "板桥村"), ("021", "摆古村"),
            ("022", "麦坪村"), ("023", "谷立村"), ("024", "燕楼村")]
STALE_DAYS = {"004": 3, "006": 9, "017": 5}  # villages silent since: their last contact, days ago
CONFLICT, HELD = "002", "003"  # the village with the open conflict, the one with the held change
REFRESH_HOURS = 12  # at a later start, villages in contact report again when older than this
JOINED = N_("%(name)s enrolled, filled and synced (%(n)s of %(total)s)")
DECIDED_STEP = N_("%(name)s received the county's decisions and answered them (%(n)s of %(total)s)")
REPORTED, NOT_REPORTED = N_("%(name)s reported to the hub"), N_("%(name)s could not report to the hub: %(code)s")
HOUSEHOLDS = 60  # per village besides the served one (which keeps the village demo's 200)


def hub_path(data_dir):
    """Return the demo hub's data directory."""
    return data_dir / HUB_DIR


def village_paths(data_dir, count=len(VILLAGES)):
    """Return [(code, name, data directory)] of the demo's villages, the served one first."""
    return [(*SERVED, data_dir)] + [(code, name, data_dir / VILLAGES_DIR / code) for code, name in VILLAGES[:count]]


def create_hub(data_dir, database=""):
    """Create the demo county's hub (with its county user) under `data_dir`; return its node.

    `database`: a postgresql:// address where the hub keeps its records (`village init --database`).
    """
    return _node_with_user(hub_path(data_dir), "county", HUB_NAME, HUB_AREA, DEMO_COUNTY_USER, database)


def create_served(data_dir):
    """Create the demo village `village demo` serves (its clerk, its certificate for tablets); return its node."""
    from village.tls import init_tls

    node = _node_with_user(data_dir, "village", SERVED[1], f"{HUB_AREA}/{SERVED[0]}", DEMO_CLERK)
    init_tls(node)
    return node


def _node_with_user(path, role, name, area, login, database=""):
    node = init_node(path, role, name, area, "zh_Hans", database)
    db = open_db(node)
    try:
        add_user(db, login[0], "clerk" if role == "village" else "county", login[1], actor="demo")
    finally:
        db.close()
    return node


def build(served, hub, hub_url, say, count=len(VILLAGES), households=HOUSEHOLDS, seed=7):
    """Make the demo county: the other villages as nodes, everything synced with `hub` served at `hub_url`.

    `served` is the demo village (made, not yet filled); `say(message, **params)` prints progress. Return the
    hub's figures of what was made: {villages, stale, conflicts, held}.
    """
    rng, now = random.Random(seed), datetime.datetime.now(datetime.timezone.utc)
    local = open_db(hub)
    hub_db = None
    try:
        hub_db = sync_store(hub, local)  # where the hub keeps its records: PostgreSQL, or its own file
        publish_basics(hub_db, hub, now.date())
        villages = []
        paths = village_paths(served.data_dir, count)
        for i, (code, name, path) in enumerate(paths):
            if code in STALE_DAYS:  # the silent ones first: they never saw the week's prices or the alert
                villages.append(_join(hub, hub_db, hub_url, served, code, name, path, households, seed + i))
                _set_back(hub_db, villages[-1], now - datetime.timedelta(days=STALE_DAYS[code]))
                say(JOINED, name=name, n=len(villages), total=len(paths))
        publish_week(hub_db, hub, rng, now)
        for i, (code, name, path) in enumerate(paths):
            if code not in STALE_DAYS:
                sized = 200 if path == served.data_dir else households
                villages.append(_join(hub, hub_db, hub_url, served, code, name, path, sized, seed + i))
                say(JOINED, name=name, n=len(villages), total=len(paths))
        live = [v for v in villages if v["code"] not in STALE_DAYS]
        _decide(hub, hub_db, local, live, rng, say)
        _stories(hub, hub_db, live)
        return _made(hub_db)
    finally:
        if hub_db is not None:
            close_store(hub_db, local)
        local.close()


def _join(hub, hub_db, hub_url, served, code, name, path, households, seed):
    """Enroll one village at the hub, take what the hub holds, fill it, and send it all up."""
    node = served if path == served.data_dir else init_node(path, "village", name, f"{HUB_AREA}/{code}", "zh_Hans")
    link, one_time = add_node(hub_db, name, node.area, hub.area)
    db = open_db(node)
    try:
        enroll(node, db, hub_url, one_time, insecure=True)  # plain http:// on 127.0.0.1, as `--insecure`
        _synced(node, db)  # thresholds, notices, prices, the alert (delivered)
        counts, plans = populate_enrolled(db, node, households, seed)
        _synced(node, db)
    finally:
        db.close()
    return {"code": code, "name": name, "node": node, "link": link, "plans": plans, "counts": counts}


def _synced(node, db):
    """Run one sync round for `node`; raise Problem when it did not end in sync."""
    result = run_sync(node, db=db)
    if not result.ok:
        raise sync_problem(result.code, f"{node.name}: {result.error}", result.pending)
    return result


def _set_back(hub_db, village, when):
    """Write the village's last contact at the hub as a round at `when` would have written it."""
    with transaction(hub_db) as tx:
        tx.execute("UPDATE nodes SET last_seen = ? WHERE node_id = ?", [when.isoformat(timespec="seconds"),
                                                                        village["link"]])


def _decide(hub, hub_db, local, live, rng, say):
    """The township's and county's steps at the hub, the villages' later steps, the eliminations; synced.

    The hub's steps are audited: in its own file `local` when its records are in PostgreSQL (`hubdb.audited`).
    """
    today = datetime.date.today()
    with audited(hub_db, local) as tx, core.write(tx, hub) as writer:
        for village in live:
            for case, plan in village["plans"].items():
                county_steps(writer, hub, case, plan, today, final=False)
    for n, village in enumerate(live):
        db = open_db(village["node"])
        try:
            _synced(village["node"], db)  # the decisions come down
            with core.write(db, village["node"]) as writer:
                for case, plan in village["plans"].items():
                    village_steps_after(writer, village["node"], rng, today, case, plan, village["counts"])
            _synced(village["node"], db)
        finally:
            db.close()
        say(DECIDED_STEP, name=village["name"], n=n + 1, total=len(live))
    with audited(hub_db, local) as tx, core.write(tx, hub) as writer:
        for village in live:
            for case, plan in village["plans"].items():
                county_steps(writer, hub, case, plan, today, final=True)


def _stories(hub, hub_db, live):
    """Receipts of the alert (most show it, half confirm it), a conflict, a held change; then every village syncs."""
    for n, village in enumerate(live):
        node = village["node"]
        db = open_db(node)
        try:
            if n % 4 != 3:
                receipts.note(db, node, "displayed_at")
            if n % 2 == 0:
                receipts.note(db, node, "acknowledged_at", actor="clerk")
            if village["code"] == CONFLICT:
                _conflict(hub, hub_db, node, db)
            if village["code"] == HELD:
                _held(node, db)
            _synced(node, db)
        finally:
            db.close()


def _conflict(hub, hub_db, node, db):
    """The county corrects a household's phone at the hub while the village changes it too, neither seeing the other."""
    household = db.execute("SELECT id FROM households WHERE _deleted = 0 ORDER BY code LIMIT 1").fetchone()[0]
    with core.write(hub_db, hub) as writer:
        core.save(writer, hub, "households", {"phone": "13985012345"}, row_id=household)
    time.sleep(0.01)  # the village's change is the later one: it wins, and the hub records the conflict
    with core.write(db, node) as writer:
        core.save(writer, node, "households", {"phone": "13985054321"}, row_id=household)


def _held(node, db):
    """A village clerk writes a notice of their own: notices are the county's, so the hub holds it."""
    with core.write(db, node) as writer:
        core.save(writer, node, "announcements", {"title": {"zh_Hans": "本周五晚召开村民大会"}, "priority": "normal",
                                                  "body": {"zh_Hans": "请各户派一名代表到村委会参加。"}})


def _made(hub_db):
    """Return the hub's counts of what the demo made: villages, stale ones, open conflicts, held changes."""
    recent = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=24)).isoformat()

    def count(sql, *args):
        return hub_db.execute(sql, args).fetchone()[0]

    return {"villages": count("SELECT COUNT(*) FROM nodes WHERE enrolled_at IS NOT NULL"),
            "stale": count("SELECT COUNT(*) FROM nodes WHERE enrolled_at IS NOT NULL AND last_seen < ?", recent),
            "conflicts": count("SELECT COUNT(*) FROM _conflicts WHERE resolved_at IS NULL"),
            "held": count("SELECT COUNT(*) FROM sync_quarantine WHERE state = 'held'")}


def refresh(data_dir, say):
    """At a later start, let the villages still in contact report to the hub again (a sync round each)."""
    hub = load_node(hub_path(data_dir))
    local = open_db(hub)
    try:
        hub_db = sync_store(hub, local)
        try:
            seen = dict(hub_db.execute("SELECT area, last_seen FROM nodes WHERE enrolled_at IS NOT NULL").fetchall())
        finally:
            close_store(hub_db, local)
    finally:
        local.close()
    due = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=REFRESH_HOURS)).isoformat()
    for code, name, path in village_paths(data_dir):
        if code in STALE_DAYS or not path.exists() or (seen.get(f"{HUB_AREA}/{code}") or "") >= due:
            continue
        node = load_node(path)
        result = run_sync(node)
        say(REPORTED if result.ok else NOT_REPORTED, name=name, code=result.code)


class ServedHub:
    """The demo hub served by `village serve` in a child process (stopped on leaving the `with`)."""

    def __init__(self, hub_dir, host, port):
        self.url = f"http://{host}:{port}"
        self.address = (host, port)
        # No HTTPS for tablets at the hub: the village served beside it holds that port.
        self.process = subprocess.Popen([sys.executable, "-m", "village", "serve", "--data", str(hub_dir),
                                         "--host", host, "--port", str(port)],
                                        env={**os.environ, "VILLAGE_HTTPS_PORT": "0"})

    def __enter__(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise Problem("demo.hub_stopped", url=self.url)
            try:
                socket.create_connection(self.address, timeout=1).close()
                return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise Problem("demo.hub_stopped", url=self.url)

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
