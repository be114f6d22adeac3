"""The roll-ups kept by a push's hook from the changes' own data: only a record the batch created, touched once,
is taken from its change; a change that lost its merge, a record made and changed in one batch, and a change
the hub wrote outside a push are read from the records. Each against a recount."""
import datetime
import json

import pytest

from sync_helpers import sync
from test_county import county_hub, request_of_age  # noqa: F401  (the fixture)

from sync.batch import apply_changes, encode
from sync.changelog import writing
from sync.clock import make_version, split_version
from village.ops.sync import hub_client
from village.records import core, rollups

pytestmark = pytest.mark.usefixtures("hub_engine")  # every test on a SQLite and a PostgreSQL hub

TODAY = datetime.date.today()


def fact(hub_db, row_id):
    return hub_db.execute("SELECT kind FROM county_facts WHERE row_id = ?", [row_id]).fetchone()


def test_a_full_change_that_lost_its_merge_is_not_taken_for_the_record(county_hub):  # noqa: F811
    hub, hub_db, node, db, link, made = county_hub
    row_id = hub_db.execute("SELECT id FROM service_requests WHERE status = 'submitted'").fetchone()[0]
    stored = core.get(hub_db, "service_requests", row_id)
    hlc, _origin = split_version(stored["_version"])
    # Every field a fact reads, the area too, but written before the stored values: it loses them all.
    older = make_version(hlc - 5, "ffffffffffff")  # an origin of its own: no clash with a real version
    change = {"tbl": "service_requests", "op": "put", "row_id": row_id, "version": older,
              "area": stored["area"], "prev_area": None, "base": None,
              "data": {"area": stored["area"], "status": "rejected", "history": stored["history"]}}
    cursor = hub_db.execute("SELECT push_cursor FROM nodes WHERE node_id = ?", [link]).fetchone()[0]
    reply = hub_client(node, db).push(encode({"start": cursor, "end": cursor + 1}, [change]))
    assert reply.body["applied"] == 1 and not reply.body["refused"]
    assert core.get(hub_db, "service_requests", row_id)["status"] == "submitted"
    assert fact(hub_db, row_id) == ("service_requests",)
    assert rollups.stored(hub_db) == rollups.recount(hub_db)


def test_a_record_made_and_closed_before_its_sync_is_not_counted(county_hub):  # noqa: F811
    hub, hub_db, node, db, link, made = county_hub
    with core.write(db, node) as w:
        closed = request_of_age(w, node, 1, ticket="S-0000-0100")
        opened = request_of_age(w, node, 1, ticket="S-0000-0101")
    with core.write(db, node) as w:
        history = json.loads(core.get(db, "service_requests", closed)["history"])
        core.save(w, node, "service_requests", {"status": "rejected", "history": history + [
            {"status": "rejected", "by": "李", "at": f"{TODAY}T09:00:00Z", "note": ""}]}, row_id=closed)
    assert sync(node).exit_code == 0
    assert fact(hub_db, closed) is None and fact(hub_db, opened) == ("service_requests",)
    assert rollups.stored(hub_db) == rollups.recount(hub_db)


def test_a_change_written_at_the_hub_without_its_roll_ups_is_caught_up_at_the_next_push(county_hub):  # noqa: F811
    hub, hub_db, node, db, link, made = county_hub
    with writing(hub_db, hub.node_id) as w:  # the sync layer's own writer: no roll-ups kept here
        w.put("service_requests", "hub-made", {"area": node.area, "ticket": "S-0000-0200", "applicant_name": "王",
                                               "kind": "subsidy", "status": "submitted", "history": json.dumps(
                                                   [{"status": "submitted", "by": "县", "at": f"{TODAY}T08:00:00Z"}])})
    assert fact(hub_db, "hub-made") is None
    with core.write(db, node) as w:
        pushed = request_of_age(w, node, 2, ticket="S-0000-0201")
    assert sync(node).exit_code == 0
    assert fact(hub_db, "hub-made") == fact(hub_db, pushed) == ("service_requests",)
    assert rollups.stored(hub_db) == rollups.recount(hub_db)


LATEST_VISIT = ("SELECT visited_on, next_due FROM visits WHERE elder_id = ? AND _deleted = 0 AND kind = 'elderly_care' "
                "ORDER BY visited_on DESC, _version DESC LIMIT 1")


def test_an_elders_latest_visit_is_read_from_the_index_alone(county_hub, hub_engine):  # noqa: F811
    hub_db = county_hub[1]
    if hub_engine == "sqlite":
        plan = hub_db.execute("EXPLAIN QUERY PLAN " + LATEST_VISIT, ["x"]).fetchall()
        assert [row[3] for row in plan] == ["SEARCH visits USING COVERING INDEX visits_elder_care (elder_id=?)"]
        return
    with hub_db.snapshot() as tx:
        tx.execute("SET LOCAL enable_seqscan = off")  # a table of a few rows: PostgreSQL would rather read it all
        plan = [row[0] for row in tx.execute("EXPLAIN " + LATEST_VISIT, ["x"])]
    assert "Index Only Scan Backward using visits_elder_care on visits" in plan[1], plan


def test_a_record_moved_to_another_village_is_counted_there_once(county_hub):  # noqa: F811
    hub, hub_db, node, db, link, made = county_hub
    row_id = hub_db.execute("SELECT id FROM service_requests WHERE status = 'submitted'").fetchone()[0]
    other = "52/5201/520102/002"
    with core.write(hub_db, hub) as w:  # the county moves it (say, the applicant moved): a write at the hub
        core.save(w, hub, "service_requests", {"area": other}, row_id=row_id)
    assert hub_db.execute("SELECT area FROM county_facts WHERE row_id = ?", [row_id]).fetchall() == [(other,)]
    assert rollups.stored(hub_db) == rollups.recount(hub_db)


def test_a_record_a_batch_moves_is_counted_in_its_new_area_once(county_hub):  # noqa: F811
    hub, hub_db, node, db, link, made = county_hub
    row_id = hub_db.execute("SELECT id FROM service_requests WHERE status = 'submitted'").fetchone()[0]
    hlc, _origin = split_version(core.get(hub_db, "service_requests", row_id)["_version"])
    other = "52/5201/520102/002"
    newer = make_version(hlc + 5, "ffffffffffff")  # an origin of its own: no clash with a real version
    change = {"tbl": "service_requests", "op": "put", "row_id": row_id, "version": newer,
              "area": other, "prev_area": node.area, "base": None, "data": {"area": other}}
    # Applied and caught up as a push does (its screening left out: a village may not move a record out of it).
    with writing(hub_db, hub.node_id) as w:
        assert apply_changes(w, [change], link) == 1
        rollups.after_apply(w.db, [change], w.created)
    assert hub_db.execute("SELECT area FROM county_facts WHERE row_id = ?", [row_id]).fetchall() == [(other,)]
    assert rollups.stored(hub_db) == rollups.recount(hub_db)
