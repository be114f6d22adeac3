"""A tablet's first load: POST /sync/snapshot at the village node, then the pull from the snapshot's cursor.

The node is served over real HTTP; the tablet is a HubClient with the credentials it enrolled with. Its copy
of the village is `copy_helpers.lay`, the field app's way of laying pages and pulled batches over it.
"""
import json

import pytest
import requests
from copy_helpers import lay
from sync_helpers import add_households, edit
from tablet_helpers import enrolled_tablet, not_the_tablet

from sync import codes
from sync.batch import decode
from sync.changelog import last_seq, writing
from sync.server import TABLET, add_node
from sync.transport import HubClient, Refused
from village import create_app
from village.records import core
from village.records.schema import TABLET_HOLDS


@pytest.fixture
def village(make_node, serve):
    """A village node with 30 households (one member each), each edited twice since; return (node, db, server, ids)."""
    node, db = make_node()
    households = add_households(db, node, 30)
    for round_ in range(2):
        for i, household in enumerate(households):
            edit(db, node, "households", household, phone=f"1390000{round_}{i:03d}")
    return node, db, serve(create_app({"NODE": node, "TESTING": True})), households


def first_load(client, limit=1000, after=None):
    """Load a whole snapshot page after page; return (copy, the first page's cursor, pages, bytes)."""
    copy, cursor, pages, size = {}, None, 0, 0
    while True:
        body = client.snapshot(after, limit).body
        envelope, changes = decode(body)
        cursor = envelope["cursor"] if cursor is None else cursor
        lay(copy, changes)
        pages, size = pages + 1, size + len(body)
        if not envelope["more"]:
            return copy, cursor, pages, size
        after = envelope["after"]


def pull_on(client, copy, cursor):
    """Pull from `cursor` to the end, laying each batch over `copy`; return (the changes pulled, bytes)."""
    pulled, size = [], 0
    while True:
        body = client.pull(cursor, 1000).body
        envelope, changes = decode(body)
        lay(copy, changes)
        pulled += changes
        size += len(body)
        cursor = envelope["last"]
        if not envelope["more"]:
            return pulled, size


def standing(db, area):
    """Return what a tablet of `area` should hold: {table: {id: {field: value}}} of the live records in scope."""
    from sync.scope import in_scope

    out = {}
    for table in TABLET_HOLDS:
        for row in db.query(f"SELECT * FROM [{table}] WHERE _deleted = 0"):
            if in_scope(row["area"], area):
                out.setdefault(table, {})[row["id"]] = {name: row[name] for name in json.loads(row["_fv"])}
    return out


def plain(copy):
    """Return `copy` without the field versions and ids it keeps beside each record's fields."""
    return {table: {i: {k: v for k, v in r.items() if k not in ("_fv", "id")} for i, r in rows.items()}
            for table, rows in copy.items() if rows}


def test_a_fresh_tablet_loads_the_village_as_it_stands_in_fewer_bytes_than_a_replay(village):
    node, db, server, households = village
    client, _tablet = enrolled_tablet(node, server)
    copy, cursor, pages, size = first_load(client, limit=40)
    assert pages > 1 and cursor == last_seq(db)
    assert plain(copy) == standing(db, node.area) and len(copy["households"]) == 30
    assert pull_on(client, copy, cursor)[0] == []  # nothing happened since: the pull from its cursor is empty
    replay = {}
    _changes, replay_size = pull_on(client, replay, 0)  # what a first load was before: the same copy
    assert replay == copy and first_load(client)[3] < replay_size * 0.8  # in fewer bytes (pages as large as a pull's)


def test_a_record_changed_between_two_pages_arrives_with_its_newer_value_once(village):
    node, db, server, households = village
    client, _tablet = enrolled_tablet(node, server)
    first, page = decode(client.snapshot(None, 25).body)  # the first households
    copy = lay({}, page)
    sent = {c["row_id"] for c in page if c["tbl"] == "households"}
    early = sorted(sent)[0]
    late = sorted(set(households) - sent)[0]
    edit(db, node, "households", early, head_name="改了 早")  # meanwhile, at the node
    edit(db, node, "households", late, head_name="改了 晚")
    after, more = first["after"], first["more"]
    while more:
        envelope, page = decode(client.snapshot(after, 25).body)
        lay(copy, page)
        after, more = envelope["after"], envelope["more"]
    pulled, _size = pull_on(client, copy, first["cursor"])  # on from the first page's cursor
    assert sorted((c["row_id"], c["data"].get("head_name")) for c in pulled) == [
        tuple(pair) for pair in sorted([(early, "改了 早"), (late, "改了 晚")])]
    assert copy["households"][early]["head_name"] == "改了 早" and copy["households"][late]["head_name"] == "改了 晚"
    assert plain(copy) == standing(db, node.area)


def test_a_tablet_of_a_group_gets_its_group_and_what_is_above_it_not_another_group(village):
    node, db, server, households = village
    group = node.area + "/02"
    with writing(db, node.node_id) as writer:  # two households of the group, one of another group
        writer.put("households", "in-group", {"area": group, "code": "G1", "head_name": "组一"})
        writer.put("households", "in-other", {"area": node.area + "/03", "code": "G2", "head_name": "组二"})
    _link, code = add_node(db, "Tablet of group 2", group, node.area, kind=TABLET)
    creds = HubClient(server.url).enroll(code, "tabgroup2", "c" * 16)
    client = HubClient(server.url, creds["node_id"], creds["secret"])
    copy = first_load(client)[0]
    # The pull's rule: the group's records and those above it (the village's own), never another group's.
    assert set(copy["households"]) == {"in-group", *households}
    assert copy == lay({}, decode(client.pull(0, 1000).body)[1])
    # Asking for another scope is not a thing a request can do: the area comes from the link, never the body.
    body = json.dumps({"after": None, "limit": 1000, "area": node.area + "/03"}).encode()
    _envelope, changes = decode(client._signed("POST", "/sync/snapshot", body, "application/json").content)
    assert "in-other" not in {c["row_id"] for c in changes}


@pytest.mark.parametrize("who", ["unsigned", "forged", "revoked", "village_link", "replayed"])
def test_only_an_enrolled_tablet_loads_a_snapshot(village, who):
    node, db, server, households = village
    client, _tablet = enrolled_tablet(node, server)
    body = json.dumps({"after": None, "limit": 1000}).encode()
    if who == "unsigned":
        answer = requests.post(server.url + "/sync/snapshot", data=body, timeout=10)
        assert (answer.status_code, answer.json()["error"]["code"]) == (401, codes.BAD_CREDENTIALS)
        return
    if who == "replayed":  # a request seen on the way, sent again
        from sync_helpers import signed_post

        client.ping()
        nonce = client.nonce
        assert signed_post(client, "/sync/snapshot", body, nonce).status_code == 200
        answer = signed_post(client, "/sync/snapshot", body, nonce)
        assert (answer.status_code, answer.json()["error"]["code"]) == (401, codes.STALE_NONCE)
        return
    client = not_the_tablet(who, node, db, server, client)  # "village_link": a node of the tier below
    with pytest.raises(Refused) as refused:
        client.snapshot(None, 1000)
    expected = {"forged": (401, codes.BAD_CREDENTIALS), "revoked": (403, codes.REVOKED),
                "village_link": (403, codes.NOT_A_TABLET)}[who]
    assert (refused.value.status, refused.value.code) == expected
    assert "张" not in json.dumps(refused.value.args)


@pytest.mark.parametrize("body", [b"not json", b"[]", b'"x"', b'{"after": ["users", "x"]}',
                                  b'{"after": ["nodes", "x"]}', b'{"after": ["visits", "x"]}',
                                  b'{"after": ["households; DROP TABLE households", "x"]}',
                                  b'{"after": ["households"]}', b'{"after": ["households", 1]}',
                                  b'{"after": {"households": "x"}}', b'{"after": null, "limit": 0}',
                                  b'{"after": null, "limit": "10"}', b'{"after": null, "limit": 1e999}',
                                  b'{"after": null, "limit": true}', b"\xff\xfe"])
def test_a_request_that_is_not_a_page_cursor_is_refused_in_the_one_error_shape(village, body):
    node, db, server, households = village
    client, _tablet = enrolled_tablet(node, server)
    with pytest.raises(Refused) as refused:
        client._signed("POST", "/sync/snapshot", body, "application/json")
    assert (refused.value.status, refused.value.code) == (400, codes.BAD_REQUEST)
    assert len(list(core.rows(db, "households"))) == 30
    assert first_load(client)[0]["households"]  # and the tablet goes on working
