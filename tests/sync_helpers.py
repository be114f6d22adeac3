"""Helpers of the sync tests: a hub served over real HTTP, enrolled villages, record comparison."""
import json

import requests
from conftest import Village

from sync.auth import sign
from sync.scope import in_scope
from village import create_app
from village.records import core
from village.records.schema import TABLES


def serve_hub(make_node, serve, area="52/5201/520102", name="县", subdir=None):
    """Create a county hub and serve it on 127.0.0.1; return (node, db, live server)."""
    hub, db = make_node(role="county", area=area, name=name, subdir=subdir)
    return hub, db, serve(create_app({"NODE": hub, "TESTING": True}))


def enroll(hub, server, village, name="村"):
    """Enroll `village` at `hub` through the CLI; return the hub's node id for it."""
    added = Village(hub.data_dir)("node", "add", "--name", name, "--area", village.area, "--json")
    assert added.exit_code == 0, added.output
    info = json.loads(added.output)
    done = Village(village.data_dir)("enroll", "--hub", server.url, "--code", info["code"], "--insecure")
    assert done.exit_code == 0, done.output
    return info["node_id"]


def enrolled_pair(make_node, serve, **village):
    """Serve a county hub and enroll a new village at it; return (hub, hub_db, server, village, db, link id)."""
    hub, hub_db, server = serve_hub(make_node, serve)
    node, db = make_node(**village)
    link = enroll(hub, server, node)
    return hub, hub_db, server, node, db, link


def signed_post(client, path, body, nonce):
    """POST `body` to the hub as `client`'s node would, signed over `nonce`; return the response."""
    headers = {"X-Sync-Node": client.node_id, "X-Sync-Nonce": nonce, "Content-Type": "application/x-village-batch",
               "X-Sync-Signature": sign(client.secret, "POST", path, body, nonce, client.node_id)}
    return requests.post(client.url + path, data=body, headers=headers, timeout=10)


def sync(node):
    """Run `village sync` for `node`; return the click result."""
    return Village(node.data_dir)("sync")


def add_households(db, node, count, prefix="H"):
    """Create `count` households (with one member each); return their ids."""
    ids = []
    with core.write(db, node) as writer:
        for i in range(count):
            hid = core.save(writer, node, "households", {"code": f"{prefix}{i:05d}", "head_name": f"张{i}",
                                                         "phone": f"1380000{i:04d}", "members": 1 + i % 5,
                                                         "address": f"{i}号"})
            core.save(writer, node, "persons", {"household_id": hid, "name": f"张{i}", "sex": "male"})
            ids.append(hid)
    return ids


def edit(db, node, table, row_id, wall=None, **values):
    """Change fields of one record through the write path (optionally with an injected wall clock)."""
    from sync.changelog import writing

    kwargs = {"wall": wall} if wall else {}
    with writing(db, node.node_id, **kwargs) as writer:
        core.save(writer, node, table, values, row_id=row_id)


def snapshot(db, path):
    """Return every synced row in scope of `path`, all columns, keyed by (table, id)."""
    rows = {}
    for table in TABLES:
        cur = db.execute(f"SELECT * FROM [{table}] ORDER BY id")
        names = [d[0] for d in cur.description]
        for row in cur:
            record = dict(zip(names, row))
            if in_scope(record["area"], path):
                record["_fv"] = json.loads(record["_fv"])
                rows[table, record["id"]] = record
    return rows


def assert_same(db_a, db_b, path):
    """Assert both databases hold the same records in scope of `path`, field by field."""
    a, b = snapshot(db_a, path), snapshot(db_b, path)
    assert a.keys() == b.keys(), f"only in one: {sorted(a.keys() ^ b.keys())[:5]}"
    for key in a:
        assert a[key] == b[key], f"{key}: {a[key]} != {b[key]}"
    return len(a)
