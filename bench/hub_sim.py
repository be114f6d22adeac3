"""Simulated villages for the hub benchmarks: the sync protocol over real HTTP, without a node's database.

A `SimVillage` is enrolled at a hub with a one-time code as a village is, then pushes signed
batches (the one batch format, sized by the node's own `Sizer`) and pulls by cursor, through
the node's own `HubClient`. Its records are what a village's write path makes of a household
and its one member (the same fields `village.records.core.save` fills in); they are held in
memory, so a thousand villages cost a thousand small lists, not a thousand SQLite files.
"""
import secrets
import time
import uuid

from sync.batch import decode, encode
from sync.clock import make_version, wall_ms
from sync.jobs import Sizer
from sync.server import add_node
from sync.transport import HubClient, TransportError

COUNTY = "52/5201/520102"


def family_changes(node_id, area, start, count, stamp):
    """Return the changes of `count` new households and one member each, numbered from `start`.

    Households and their members alternate, as a village's clerk writes them.
    """
    changes = []
    for i in range(start, start + count):
        household = str(uuid.uuid4())
        changes.append({"tbl": "households", "row_id": household, "op": "put", "area": area, "prev_area": None,
                        "base": None, "data": {"code": f"H{i:06d}", "head_name": f"张{i}", "members": 1,
                                               "monitoring_status": "none", "area": area}})
        changes.append({"tbl": "persons", "row_id": str(uuid.uuid4()), "op": "put", "area": area, "prev_area": None,
                        "base": None, "data": {"household_id": household, "name": f"张{i}", "sex": "male",
                                               "lives_alone": 0, "benefits": "[]", "area": area}})
    for n, change in enumerate(changes):
        change["version"] = make_version(stamp + n, node_id)
    return changes


def address_changes(node_id, households, stamp):
    """Return changes setting the address of each household in `households` [(id, area)]: edits, not new records."""
    return [{"tbl": "households", "row_id": row_id, "op": "put", "area": area, "prev_area": None, "base": None,
             "data": {"address": f"{n}号"}, "version": make_version(stamp + n, node_id)}
            for n, (row_id, area) in enumerate(households)]


def now_stamp():
    """Return a clock stamp of now (the hub re-stamps none of them: they are not ahead of it)."""
    return wall_ms() << 16


def register(hub_store, code):
    """Register a village of area code `code` at the hub as `village node add` does; return (area, one-time code)."""
    area = f"{COUNTY}/{code}"
    return area, add_node(hub_store, f"村{code}", area, COUNTY)[1]


class SimVillage:
    """One village speaking the sync protocol to a hub: enrollment, pushes, pulls."""

    def __init__(self, url, area, enroll_code):
        """Enroll a village of `area` over HTTP with the one-time code the hub gave it (`register`)."""
        self.area = area
        self.node_id = "sim" + secrets.token_hex(6)
        enroller = HubClient(url)
        try:
            answer = enroller.enroll(enroll_code, self.node_id, secrets.token_urlsafe(24))
        finally:
            enroller.session.close()
        self.client = HubClient(url, answer["node_id"], answer["secret"])
        self.outbox, self.sent, self.pull_cursor = [], 0, 0
        self.sizer = Sizer()

    def write(self, changes):
        """Queue changes made here (they are pushed by `push`)."""
        self.outbox += changes

    def push(self):
        """Push everything queued in batches sized as a node sizes them; return the changes the hub applied."""
        applied = 0
        while self.sent < len(self.outbox):
            batch = self.outbox[self.sent:self.sent + self.sizer.count()]
            end = self.sent + len(batch)
            payload = encode({"start": self.sent, "end": end}, batch)
            ack = self.client.push(payload).body
            if ack["cursor"] != end or ack["refused"]:
                raise AssertionError(f"{self.area}: the hub answered {ack['cursor']} to a batch ending at {end}, "
                                     f"refusing {ack['refused'][:1]}")
            self.sizer.success(len(payload), len(batch))
            applied += ack["applied"]
            self.sent = end
        return applied

    def pull(self, limit=None):
        """Pull everything after this village's cursor; return the changes received."""
        received = []
        while True:
            envelope, changes = decode(self.client.pull(self.pull_cursor, limit or self.sizer.count()).body)
            received += changes
            self.pull_cursor = envelope["last"]
            if not envelope["more"]:
                return received

    def timed_poll(self):
        """Poll once with nothing new to receive; return the milliseconds it took."""
        started = time.perf_counter()
        envelope, changes = decode(self.client.pull(self.pull_cursor, 500).body)
        took = (time.perf_counter() - started) * 1000
        if changes or envelope["more"]:
            raise AssertionError(f"{self.area}: an empty poll received {len(changes)} changes")
        self.pull_cursor = envelope["last"]
        return took

    def sync_round(self, attempts=5):
        """Push everything queued, then pull everything new, as one sync round; return (applied, pulled, tries).

        As a node's scheduler does, a round the link broke is run again (a batch the hub committed
        is acknowledged, not applied twice). The connection is closed at the end, as a node's
        `village sync` closes it when it exits: an idle one would hold one of the hub's connections.
        """
        applied = 0
        try:
            for tries in range(1, attempts + 1):
                try:
                    if self.client.nonce is None:
                        self.client.ping()
                    applied += self.push()
                    return applied, len(self.pull()), tries
                except TransportError:
                    if tries == attempts:
                        raise
                    self.client.nonce = None
        finally:
            self.close()

    def close(self):
        """Close the village's HTTP connection."""
        self.client.session.close()
