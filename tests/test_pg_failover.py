"""Failover of a PostgreSQL county hub: a streaming standby promoted when the primary dies.

Each test runs its own primary and standby (the session's cluster is never stopped): the standby
is made with `pg_basebackup -R`, the primary stopped with `-m immediate` (as when its machine
dies), the standby promoted with `pg_ctl promote`, and the hub started again on it.

- Synchronous replication (`synchronous_standby_names`): a commit waits for the standby, so
  everything the hub acknowledged is on the promoted standby before any village syncs again.
- Asynchronous: the standby is cut off before the last pushes, so the promoted one lacks
  acknowledged records and hands out their seqs again. The new timeline gives the hub a new
  epoch; the villages rewind, send again, pull again, and every record arrives exactly once.
"""
import json

import pytest
from conftest import COUNTY_AREA
from pg_helpers import Cluster
from sync_helpers import add_households, assert_same, enroll

from sync.epoch import epochs
from sync.meta import HUB_EPOCH, HUB_URL, PULL_CURSOR, get_meta, set_meta
from sync.store import transaction
from sync.stores import as_tx
from village import create_app
from village.errors import Problem
from village.hubdb import open_store, sync_store
from village.node import init_node, load_node, open_db
from village.ops.sync import run_sync

pytestmark = pytest.mark.slow
HOUSEHOLDS = "SELECT COUNT(*), COUNT(DISTINCT id) FROM households"
AREA_A, AREA_B = "52/5201/520102/001", "52/5201/520102/002"


@pytest.fixture
def pair():
    """A primary and its streaming standby; the primary waits for it when `sync` (see `pair(sync)`)."""
    made = []

    def start(sync):
        primary = Cluster(settings={"synchronous_standby_names": "replica1"} if sync else None).start()
        made.append(primary)
        made.append(primary.replica("replica1"))
        return made[0], made[1]

    yield start
    for cluster in made:
        cluster.stop()


class County:
    """A county hub on PostgreSQL, served over HTTP, that can be pointed at another database."""

    def __init__(self, tmp_path, serve, url):
        self.serve = serve
        self.node = init_node(tmp_path / "hub", "county", "县", COUNTY_AREA, "en", url)
        self.server, self.store = None, None
        self.start()

    def start(self):
        self.server = self.serve(create_app({"NODE": self.node, "TESTING": True}))
        self.store = sync_store(self.node, None)

    def stop(self):
        self.server.stop()
        self.store.close()

    def point_at(self, url, villages):
        """Start the hub again on the database at `url` (as its operator would: the `database` setting)."""
        identity_file = self.node.data_dir / "village.json"
        identity = json.loads(identity_file.read_text())
        identity["settings"]["database"] = url
        identity_file.write_text(json.dumps(identity))
        self.node = load_node(self.node.data_dir)
        self.start()
        for _node, db in villages:
            with transaction(db):
                set_meta(db, HUB_URL, self.server.url)

    def count(self, sql=HOUSEHOLDS):
        return self.store.execute(sql).fetchone()

    def epochs(self):
        with as_tx(self.store).snapshot() as tx:
            return epochs(tx)


def villages_of(county, make_node):
    """Two villages of one area (A and its neighbour A2, who receives A's records) and B elsewhere."""
    made = {}
    for name, area in (("a", AREA_A), ("a2", AREA_A), ("b", AREA_B)):
        node, db = make_node(area=area, subdir=name)
        enroll(county.node, county.server, node, name=name)
        made[name] = (node, db)
    return made


def sync_all(villages, *names):
    for name in names:
        assert run_sync(villages[name][0]).ok, name


def assert_exactly_once(county, villages, a_count, b_count):
    """Every record once everywhere, each village the same as the hub within its area."""
    hub_db = county.store
    assert county.count() == (a_count + b_count + 10, a_count + b_count + 10)
    for name, (node, db) in villages.items():
        expected = (a_count if node.area == AREA_A else b_count) + 10  # + the county's own
        assert db.execute(HOUSEHOLDS).fetchone() == (expected, expected), name
        count, distinct = db.execute("SELECT COUNT(*), COUNT(DISTINCT version) FROM _changes").fetchone()
        assert count == distinct, name
        assert assert_same(db, hub_db, node.area) == 2 * expected, name


@pytest.mark.parametrize("sync", [True, False], ids=["synchronous", "asynchronous"])
def test_a_promoted_standby_loses_nothing_acknowledged_or_the_villages_send_it_again(pair, make_node, serve,
                                                                                    tmp_path, sync):
    primary, standby = pair(sync)
    primary.admin('CREATE DATABASE "county"')
    county = County(tmp_path, serve, primary.url("county"))
    villages = villages_of(county, make_node)
    (a, a_db), (b, b_db) = villages["a"], villages["b"]
    primary.wait_replayed()
    with pytest.raises(Problem) as refused:  # a hub pointed at the standby before its promotion
        open_store(standby.url("county"), county.node.node_id)
    assert refused.value.code == "db.pg_standby"
    add_households(a_db, a, 20, prefix="A")
    sync_all(villages, "a", "a2", "b")
    first_epoch = county.epochs()
    primary.wait_replayed()
    if not sync:
        standby.cut_off()  # from here the standby lags: what follows is on the primary only
    add_households(a_db, a, 30, prefix="L")
    add_households(b_db, b, 15, prefix="B")
    sync_all(villages, "a", "b", "a2")  # all acknowledged; A2 has pulled A's 30 and moved its cursor
    assert county.count()[0] == 65
    a2_cursor = int(get_meta(villages["a2"][1], PULL_CURSOR))
    county.stop()
    primary.halt()
    standby.promote()
    county.point_at(standby.url("county"), villages.values())
    items = county.epochs()
    assert items[:-1] == first_epoch and len(items) == 2  # a new timeline: a new epoch
    if sync:
        assert county.count() == (65, 65)  # every acknowledged record is on the standby
    else:
        assert county.count() == (20, 20)  # the cut-off standby lacks 45 acknowledged records
        assert items[-1][1] < a2_cursor
    # The county writes 10 records of its own: on the new primary they take seqs A2 has passed.
    add_households(county.store, county.node, 10, prefix="C")
    sync_all(villages, "b", "a", "a2", "a", "b")
    for _node, db in villages.values():
        assert get_meta(db, HUB_EPOCH) == items[-1][0]
    assert_exactly_once(county, villages, 50, 15)
    county.stop()
