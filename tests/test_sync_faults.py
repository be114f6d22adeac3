"""Sync through a link that breaks a third of its exchanges, and a syncing process killed -9."""
import pytest
from faultproxy import FaultProxy
from powercut import run_and_cut
from sync_helpers import add_households, assert_same, edit, enrolled_pair

from sync.batch import decode
from sync.clock import physical_ms, split_version, wall_ms
from sync.jobs import sync_once
from sync.meta import HUB_URL, PUSH_CURSOR, get_meta, set_meta
from sync.store import transaction
from village.records import core
from village.ops.sync import hub_client, run_sync

pytestmark = pytest.mark.usefixtures("hub_engine")  # every test on a SQLite and a PostgreSQL hub


def _through(db, proxy):
    with transaction(db):
        set_meta(db, HUB_URL, proxy.url)


# Where `village sync` is killed: after the hub committed a batch, before the village recorded
# its answer (the n-th acknowledgement), and inside the transaction that applies a pull.
ACKED_NOT_RECORDED = "sync.jobs:acknowledge:{n}"
APPLYING_PULL = "sync.jobs:apply_pulled:1"


def _cut_at(node, point, tries=30):
    """Run `village sync` until a run is killed at `point` (a broken link may end a round before it)."""
    for _ in range(tries):
        killed, _code = run_and_cut(node.data_dir, ["sync"], at=point)
        if killed:
            return 1
    raise AssertionError(f"village sync never reached {point} in {tries} runs")


def _sync_until_in_sync(node, rounds=60):
    for _ in range(rounds):
        result = run_sync(node)
        if result.ok:
            return result
    raise AssertionError(f"not in sync after {rounds} rounds: {result}")


def test_broken_link_loses_and_duplicates_nothing(make_node, serve):
    hub, hub_db, server, village, db, _link = enrolled_pair(make_node, serve)
    ids = add_households(db, village, 1500)
    with core.write(hub_db, hub) as writer:
        for i in range(200):
            core.save(writer, hub, "market_prices", {"commodity": f"c{i}", "unit": "kg", "price": i + 0.5,
                                                     "observed_on": "2026-05-01"})
    with FaultProxy(server.port, seed=7, refuse=0.05, cut_request=0.1, cut_response=0.1, drop_response=0.13) as proxy:
        _through(db, proxy)
        _sync_until_in_sync(village)
        assert sum(proxy.counters[f] for f in ("cut_request", "cut_response", "dropped_response")) > 0
    assert hub_db.execute("SELECT COUNT(*), COUNT(DISTINCT version) FROM _changes WHERE tbl = 'households'").fetchone() \
        == (1500, 1500)
    assert assert_same(db, hub_db, village.area) == 3200
    assert len(ids) == 1500


def test_a_batch_whose_answer_was_lost_is_not_sent_again(make_node, serve):
    hub, hub_db, server, village, db, _link = enrolled_pair(make_node, serve)
    ids = add_households(db, village, 2000)
    # One change stamped ten years ahead: the hub re-stamps it, and only its lost answer says so.
    future = lambda: wall_ms() + 10 * 365 * 86_400_000  # noqa: E731
    edit(db, village, "households", ids[0], notes="from the future", wall=future)
    waiting = db.execute("SELECT COUNT(*) FROM _changes").fetchone()[0]
    with FaultProxy(server.port) as proxy:
        _through(db, proxy)
        client = hub_client(village, db)
        real_push, sent = client.push, []

        def push_whose_answer_is_lost(payload):
            # The proxy drops the answer of every push, after the hub has committed it.
            sent.extend(decode(payload)[1])
            proxy.odds["drop_response"] = 1.0
            try:
                return real_push(payload)
            finally:
                proxy.odds["drop_response"] = 0.0

        client.push = push_whose_answer_is_lost
        counts = sync_once(db, village.node_id, client)
        assert proxy.counters["dropped_response"] >= 2  # several batches, every answer lost
    assert counts.pending == 0 and counts.pushed == waiting
    assert len(sent) == waiting == len({change["version"] for change in sent})  # each change crossed once
    assert hub_db.execute("SELECT COUNT(*) FROM _changes").fetchone()[0] == waiting
    mine = core.get(db, "households", ids[0])
    assert physical_ms(split_version(mine["_version"])[0]) < wall_ms() + 60_000  # the re-stamp arrived
    assert assert_same(db, hub_db, village.area) == 4000


def test_syncing_process_killed_at_chosen_moments(make_node, serve, tmp_path):
    hub, hub_db, server, village, db, _link = enrolled_pair(make_node, serve)
    add_households(db, village, 3000)
    kills = 0
    with FaultProxy(server.port, seed=11, cut_response=0.2, drop_response=0.1, bandwidth=400_000) as proxy:
        _through(db, proxy)
        for point in (ACKED_NOT_RECORDED.format(n=1), ACKED_NOT_RECORDED.format(n=2), APPLYING_PULL):
            kills += _cut_at(village, point)
        _sync_until_in_sync(village)
    assert kills == 3
    assert hub_db.execute("SELECT COUNT(*), COUNT(DISTINCT version) FROM _changes").fetchone() == (6000, 6000)
    assert assert_same(db, hub_db, village.area) == 6000
    assert get_meta(db, PUSH_CURSOR) == str(db.execute("SELECT MAX(seq) FROM _changes").fetchone()[0])


def test_twenty_thousand_records_through_a_broken_link_with_the_syncer_killed(make_node, serve):
    """Issue 3's bar: 20,000 records, a third of exchanges broken, `village sync` killed -9 several times."""
    hub, hub_db, server, village, db, _link = enrolled_pair(make_node, serve)
    add_households(db, village, 10_000)
    total = db.execute("SELECT COUNT(*) FROM _changes").fetchone()[0]
    assert total == 20_000
    kills = 0
    third = {"cut_request": 1 / 9, "cut_response": 1 / 9, "drop_response": 1 / 9}
    # A link of 200 kB/s: a round takes seconds, so the kills land in the middle of one.
    with FaultProxy(server.port, seed=23, bandwidth=200_000, **third) as proxy:
        _through(db, proxy)
        # A round stops at the first broken exchange; a clerk (or the scheduler) starts another.
        for n in (1, 2, 1, 3):
            kills += _cut_at(village, ACKED_NOT_RECORDED.format(n=n))
        _sync_until_in_sync(village, rounds=200)
        broken = sum(proxy.counters[f] for f in ("cut_request", "cut_response", "dropped_response"))
        assert broken >= proxy.counters["exchanges"] / 5
    assert kills == 4
    assert hub_db.execute("SELECT COUNT(*), COUNT(DISTINCT version) FROM _changes").fetchone() == (total, total)
    assert assert_same(db, hub_db, village.area) == total
