"""Conflicts between a tablet's edits and the node's: told apart from plain edits, and sent to the tablet.

The node is served over real HTTP; the tablet is a HubClient with the credentials it enrolled with,
sending sealed outbox entries as the field app does (`seen`: how far its copy of the village was pulled).
"""
import json
import time

import pytest
from clerk_helpers import PASSWORD
from field_helpers import sealed_change
from sync_helpers import add_households, edit
from tablet_helpers import enrolled_tablet, not_the_tablet

from sync import codes
from sync.batch import encode
from sync.changelog import last_seq
from sync.clock import Clock
from sync.server import add_node
from sync.transport import HubClient, Refused
from village import create_app
from village.records import core
from village.users import add_user


@pytest.fixture
def village(make_node, serve):
    """A village node with two households and a field worker, served; return (node, db, server, households)."""
    node, db = make_node()
    add_user(db, "field1", "fieldworker", PASSWORD)
    return node, db, serve(create_app({"NODE": node, "TESTING": True})), add_households(db, node, 2)


class Tablet:
    """An enrolled tablet: pushes sealed edits in order, each saying how far it had pulled."""

    def __init__(self, node, server):
        self.node, (self.client, self.id) = node, enrolled_tablet(node, server)
        self.clock, self.sent = Clock(), 0

    def edit(self, record, values, seen, table="households"):
        return sealed_change(self.node, self.id, table, values, self.clock, record=record, seen=seen)

    def push(self, *changes):
        batch = encode({"start": self.sent, "end": self.sent + len(changes)}, list(changes))
        self.sent += len(changes)
        return self.client.push(batch).body

    def conflicts(self):
        return self.client._signed("POST", "/sync/conflicts", b"{}", "application/json").json()


def conflicts(db):
    return db.execute("SELECT field, kept_value, lost_value FROM _conflicts").fetchall()


def test_a_tablets_edit_over_what_it_pulled_is_no_conflict_nor_are_its_own_edits_one_after_another(village):
    node, db, server, households = village
    tablet = Tablet(node, server)
    seen = last_seq(db)
    one = tablet.edit(households[0], {"head_name": "张一"}, seen)
    two = tablet.edit(households[0], {"head_name": "张二"}, seen)  # again, in the same batch
    assert tablet.push(one, two)["applied"] == 2
    assert tablet.push(tablet.edit(households[0], {"head_name": "张三"}, seen))["applied"] == 1  # a later batch
    assert core.get(db, "households", households[0])["head_name"] == "张三"
    assert conflicts(db) == []
    # An older app's entry says nothing of what it had seen: counted as before, a conflict.
    assert tablet.push(tablet.edit(households[1], {"head_name": "李"}, None))["applied"] == 1
    assert [c[0] for c in conflicts(db)] == ["head_name"]


def test_the_node_and_a_tablet_changing_one_field_is_a_conflict_the_tablet_is_sent_with_both_values(village):
    node, db, server, households = village
    tablet = Tablet(node, server)
    seen = last_seq(db)
    edit(db, node, "households", households[0], head_name="张办公室")  # at the clerk's desk, after the pull
    time.sleep(0.005)  # the tablet's edit in a later millisecond (within one, the ids would decide)
    assert tablet.push(tablet.edit(households[0], {"head_name": "张平板", "phone": "13800000000"}, seen))["applied"]
    # The tablet's value, the later, was kept; the phone, changed on the tablet only, is no conflict.
    assert conflicts(db) == [("head_name", '"张平板"', '"张办公室"')]
    answer = tablet.conflicts()
    assert answer["total"] == 1
    [shown] = answer["conflicts"]
    household = core.get(db, "households", households[0])
    assert shown["household"] == f"{household['code']} 张平板" and shown["household_id"] == households[0]
    assert (shown["table"], shown["field"], shown["kept"], shown["lost"]) == ("households", "head_name", "张平板",
                                                                              "张办公室")
    assert shown["kept_by"]["name"] == "Tablet 1" and shown["kept_by"]["this_tablet"] is True
    assert shown["lost_by"]["name"] == node.name and shown["lost_by"]["this_tablet"] is False
    assert shown["lost_by"]["at"] <= shown["kept_by"]["at"]
    # The worker types the office's value again over what they now pulled: answered, no longer shown.
    assert tablet.push(tablet.edit(households[0], {"head_name": "张办公室"}, last_seq(db)))["applied"] == 1
    assert tablet.conflicts() == {"conflicts": [], "total": 0}


def test_an_edit_that_lost_then_made_again_over_the_value_kept_is_no_new_conflict(village):
    node, db, server, households = village
    tablet = Tablet(node, server)
    seen = last_seq(db)
    lost = tablet.edit(households[0], {"head_name": "张平板"}, seen)  # made first, out of range
    time.sleep(0.005)  # in a later millisecond: within the same one the two stamps tie, and the ids decide
    edit(db, node, "households", households[0], head_name="张办公室")  # made later at the node: kept
    tablet.push(lost)
    assert conflicts(db) == [("head_name", '"张办公室"', '"张平板"')]
    assert tablet.conflicts()["conflicts"][0]["lost_by"]["this_tablet"] is True
    # Pulled since, the tablet shows the value kept; the worker types theirs again over it.
    tablet.push(tablet.edit(households[0], {"head_name": "张平板"}, last_seq(db)))
    assert core.get(db, "households", households[0])["head_name"] == "张平板"
    assert len(conflicts(db)) == 1 and tablet.conflicts()["total"] == 0


def test_a_tablet_is_sent_only_the_conflicts_inside_its_own_area(village):
    node, db, server, households = village
    tablet = Tablet(node, server)
    seen = last_seq(db)
    edit(db, node, "households", households[0], head_name="甲")
    edit(db, node, "households", households[1], head_name="乙")
    tablet.push(tablet.edit(households[0], {"head_name": "甲2"}, seen),
                tablet.edit(households[1], {"head_name": "乙2"}, seen))
    assert len(conflicts(db)) == 2
    other_village = node.area.rsplit("/", 1)[0] + "/999"
    with core.write(db, node) as writer:  # the second household moved to another village, still held here
        writer.put("households", households[1], {"area": other_village}, existing=core.get(db, "households",
                                                                                           households[1]))
    assert [c["household_id"] for c in tablet.conflicts()["conflicts"]] == [households[0]]
    # A tablet given one part of the village sees nothing outside it.
    link_id, code = add_node(db, "Tablet of group 2", node.area + "/02", node.area, kind="tablet")
    creds = HubClient(server.url).enroll(code, "tabgroup2", "c" * 16)
    group = HubClient(server.url, creds["node_id"], creds["secret"])
    assert group._signed("POST", "/sync/conflicts", b"{}", "application/json").json()["conflicts"] == []


@pytest.mark.parametrize("who", ["unsigned", "forged", "revoked", "village_link"])
def test_only_an_enrolled_tablet_gets_conflicts(village, who):
    node, db, server, households = village
    tablet = Tablet(node, server)
    seen = last_seq(db)
    edit(db, node, "households", households[0], head_name="甲")
    tablet.push(tablet.edit(households[0], {"head_name": "甲2"}, seen))
    if who == "unsigned":
        import requests

        answer = requests.post(server.url + "/sync/conflicts", data=b"{}")
        assert answer.status_code == 401 and "甲" not in answer.text
        assert answer.json()["error"]["code"] == codes.BAD_CREDENTIALS
        return
    client = not_the_tablet(who, node, db, server, tablet.client)
    with pytest.raises(Refused) as refused:
        client._signed("POST", "/sync/conflicts", b"{}", "application/json")
    expected = {"forged": (401, codes.BAD_CREDENTIALS), "revoked": (403, codes.REVOKED),
                "village_link": (403, codes.NOT_A_TABLET)}[who]
    assert (refused.value.status, refused.value.code) == expected
    assert "甲" not in json.dumps(refused.value.args)
