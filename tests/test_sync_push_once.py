"""A push costs the hub one write transaction: its nonce is consumed with the apply, and used once.

A replay of an accepted push is refused in test_sync_http.test_replayed_request_is_refused.
"""
import contextlib

import pytest
from sync_helpers import add_households, enrolled_pair, signed_post

from sync.batch import encode
from sync.jobs import pending
from sync.stores.postgres import PostgresStore
from village.ops.sync import hub_client
from village.web import db as web_db

pytestmark = pytest.mark.usefixtures("hub_engine")  # every test on a SQLite and a PostgreSQL hub


def count_hub_statements(monkeypatch, request):
    """Record every write transaction's statements the served hub's connections run; return the list.

    On SQLite every transaction writes (BEGIN IMMEDIATE); on PostgreSQL the hub also reads in
    read-only snapshots (a link, its clock), which are not counted.
    """
    if request.node.callspec.params["hub_engine"] == "postgresql":
        return count_pg_write_transactions(monkeypatch)
    seen, real_connect = [], web_db.connect

    def connect(path):
        db = real_connect(path)
        db.conn.set_trace_callback(lambda sql: seen.append(sql) if sql.split()[0] in ("BEGIN", "COMMIT") else None)
        return db

    monkeypatch.setattr(web_db, "connect", connect)
    return seen


def count_pg_write_transactions(monkeypatch):
    """Record "BEGIN" and "COMMIT" of each write transaction a PostgreSQL store runs; return the list."""
    seen, real_begun = [], PostgresStore._begun

    @contextlib.contextmanager
    def begun(store, begin, write, durable=True):
        with real_begun(store, begin, write, durable) as tx:
            if write:
                seen.append(begin)
            yield tx
        if write:
            seen.append("COMMIT")

    monkeypatch.setattr(PostgresStore, "_begun", begun)
    return seen


def test_a_push_is_one_write_transaction_at_the_hub(make_node, serve, monkeypatch, request):
    seen = count_hub_statements(monkeypatch, request)
    hub, hub_db, server, village, db, _link = enrolled_pair(make_node, serve)
    add_households(db, village, 20)
    client = hub_client(village, db)
    client.prepare()
    changes = pending(db, 0, 1000)
    seen.clear()
    ack = client.push(encode({"start": 0, "end": changes[-1]["seq"]}, changes)).body
    assert ack["applied"] == 40
    assert seen in (["BEGIN IMMEDIATE", "COMMIT"], ["BEGIN", "COMMIT"])
    assert hub_db.execute("SELECT COUNT(*) FROM sync_nonces").fetchone()[0] >= 1  # the nonce was consumed


def test_a_refused_push_applies_nothing_and_still_uses_up_its_nonce(make_node, serve):
    hub, hub_db, server, village, db, _link = enrolled_pair(make_node, serve)
    add_households(db, village, 5)
    client = hub_client(village, db)
    changes = pending(db, 4, 100)
    body = encode({"start": 4, "end": changes[-1]["seq"]}, changes)  # after a gap: refused whole
    nonce = client.ping() and client.nonce
    refused = signed_post(client, "/sync/push", body, nonce)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "gap")
    assert hub_db.execute("SELECT COUNT(*) FROM households").fetchone()[0] == 0
    # A signed request is single-use whatever its outcome: sent again, it is a replay.
    again = signed_post(client, "/sync/push", body, nonce)
    assert (again.status_code, again.json()["error"]["code"]) == (401, "stale_nonce")
    # An unreadable batch is refused, and its nonce used up, just the same.
    nonce = again.headers["X-Sync-Nonce"]
    assert signed_post(client, "/sync/push", b"not a batch", nonce).json()["error"]["code"] == "bad_batch"
    assert signed_post(client, "/sync/push", b"not a batch", nonce).json()["error"]["code"] == "stale_nonce"
