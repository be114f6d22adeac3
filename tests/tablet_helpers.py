"""Helpers of the tablet tests: a tablet added and enrolled at a served village node, its changes."""
import json
import secrets

from conftest import VILLAGE_AREA, Village

from sync.clock import Clock, make_version
from sync.transport import HubClient


def add_tablet(node, name="Tablet 1"):
    """Register a tablet at `node` through the CLI; return its {"tablet_id", "code", ...}."""
    added = Village(node.data_dir)("tablet", "add", "--name", name, "--json")
    assert added.exit_code == 0, added.output
    return json.loads(added.output)


def enrolled_tablet(node, server):
    """Add and enroll a tablet at `node` served by `server`; return (HubClient with its creds, tablet id)."""
    code = add_tablet(node)["code"]
    tablet_id = "tab" + secrets.token_hex(8)
    creds = HubClient(server.url).enroll(code, tablet_id, secrets.token_hex(16))
    return HubClient(server.url, creds["node_id"], creds["secret"]), tablet_id


def visit_changes(tablet_id, household_id, count, area=VILLAGE_AREA, table="visits", start_hlc=None):
    """Return `count` plain new-visit puts (what a village sends its hub; a tablet link's are refused)."""
    clock = Clock(start_hlc or 0)
    return [{"tbl": table, "op": "put", "row_id": f"{tablet_id}-v{i}", "version": make_version(clock.now(), tablet_id),
             "area": area, "prev_area": None, "base": None,
             "data": {"area": area, "household_id": household_id, "visitor": "李娜", "kind": "elderly_care",
                      "visited_on": "2025-03-02", "notes": f"visit {i}"}} for i in range(count)]


def sealed_visits(node, tablet_id, household_id, count, worker="field1", clock=None):
    """Return `count` new visits as the field app pushes them: each an outbox entry sealed to `node`."""
    from field_helpers import sealed_change

    clock = clock or Clock()
    return [sealed_change(node, tablet_id, "visits", {"household_id": household_id, "kind": "elderly_care",
                                                       "visited_on": "2025-03-02", "notes": f"visit {i}"},
                          clock, record=f"{tablet_id}-v{i}", worker=worker) for i in range(count)]


def not_the_tablet(who, node, db, server, client):
    """Return a client that is not the enrolled tablet `client`: "forged" (its link, another secret), "revoked" (the
    tablet after the node revoked every link), "village_link" (a node of the tier below, enrolled here)."""
    from sync.server import add_node

    if who == "forged":
        return HubClient(server.url, client.node_id, "0" * 64)
    if who == "revoked":
        db.execute("UPDATE nodes SET revoked_at = '2026-01-01'")
        db.commit()
        return client
    _link, code = add_node(db, "Not a tablet", node.area, node.area)
    creds = HubClient(server.url).enroll(code, "villagenode", "c" * 16)
    return HubClient(server.url, creds["node_id"], creds["secret"])
