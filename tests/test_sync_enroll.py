"""Enrollment as an attacker would try it: used codes, public ids, guessing, plain http, nonces."""
import datetime
import json

import pytest
import requests
from conftest import VILLAGE_AREA, Village, local
from sync_helpers import serve_hub

from sync.meta import get_meta

pytestmark = pytest.mark.usefixtures("hub_engine")  # every test on a SQLite and a PostgreSQL hub


def new_code(hub):
    added = Village(hub.data_dir)("node", "add", "--name", "村", "--area", VILLAGE_AREA, "--json")
    return json.loads(added.output)


def ask(server, code, node_id, claim):
    return requests.post(server.url + "/sync/enroll", json={"code": code, "node_id": node_id, "claim": claim},
                         timeout=10)


def test_a_used_code_and_the_public_node_id_do_not_give_the_secret(make_node, serve):
    hub, hub_db, server = serve_hub(make_node, serve)
    village, db = make_node()
    code = new_code(hub)["code"]
    assert Village(village.data_dir)("enroll", "--hub", server.url, "--code", code, "--insecure").exit_code == 0
    # The enroller's node id is printed in every certificate QR code; the code may be on paper.
    stolen = ask(server, code, village.node_id, "guessed-claim-0123456789")
    assert stolen.status_code == 409 and "secret" not in stolen.json()
    # The real node, with its own claim, may still ask again within the window (a lost answer).
    again = ask(server, code, village.node_id, get_meta(db, "sync.enroll_claim"))
    assert again.status_code == 200 and again.json()["secret"] == get_meta(db, "sync.secret")
    # After the window the code is retired for everybody.
    old = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)).isoformat(timespec="seconds")
    hub_db.execute("UPDATE nodes SET enrolled_at = ?", [old])
    late = ask(server, code, village.node_id, get_meta(db, "sync.enroll_claim"))
    assert late.status_code == 409 and "secret" not in late.json()


def test_plain_http_hub_is_refused_unless_insecure_is_given(make_node, serve):
    hub, hub_db, server = serve_hub(make_node, serve)
    village, db = make_node()
    code = new_code(hub)["code"]
    refused = Village(village.data_dir)("enroll", "--hub", server.url, "--code", code)
    assert refused.exit_code == 1 and "https://" in refused.output and "--insecure" in refused.output
    assert get_meta(db, "sync.secret") is None
    assert hub_db.execute("SELECT enrolled_by FROM nodes").fetchone()[0] is None
    allowed = Village(village.data_dir)("enroll", "--hub", server.url, "--code", code, "--insecure")
    assert allowed.exit_code == 0 and "Warning" in allowed.output


def test_guessing_codes_is_slowed_and_stores_nothing(make_node, serve):
    hub, hub_db, server = serve_hub(make_node, serve)
    real = new_code(hub)["code"]

    def rows():
        return [(local(hub_db) if t == "audit" else hub_db).execute(f"SELECT COUNT(*) FROM [{t}]").fetchone()[0]
                for t in ("sync_nonces", "_sync_meta", "nodes", "audit", "_changes")]  # the audit log: the node's file

    ask(server, "WARM-UPAA-AAAA", "x", "c" * 20)  # the hub's nonce key is made at its first answer
    before = rows()
    answers = [ask(server, f"AAAA-BBBB-{n:04d}", "intruder", "c" * 20).status_code for n in range(30)]
    assert answers[:9] == [403] * 9 and answers[-1] == 429
    for _ in range(20):
        assert requests.get(server.url + "/sync/ping", timeout=10).status_code == 200
    assert rows() == before
    # The limit is per address and per minute: the right code from this address waits too.
    assert ask(server, real, "node-1", "c" * 20).status_code == 429


def test_a_nonce_is_used_once_and_a_forged_one_is_refused(make_node, serve):
    from sync_helpers import add_households, enrolled_pair, sync

    hub, hub_db, server, village, db, _link = enrolled_pair(make_node, serve)
    add_households(db, village, 2)
    assert sync(village).exit_code == 0
    from sync.auth import sign

    secret, link = get_meta(db, "sync.secret"), get_meta(db, "sync.link_id")
    nonce = requests.get(server.url + "/sync/ping", timeout=10).headers["X-Sync-Nonce"]

    def pull(n):
        body = b'{"cursor": 0}'
        return requests.post(server.url + "/sync/pull", data=body, timeout=10, headers={
            "X-Sync-Node": link, "X-Sync-Nonce": n, "X-Sync-Signature": sign(secret, "POST", "/sync/pull", body, n, link)})

    assert pull(nonce).status_code == 200
    replay = pull(nonce)
    assert replay.status_code == 401 and replay.json()["error"]["code"] == "stale_nonce"
    forged = nonce[:-4] + ("AAAA" if not nonce.endswith("AAAA") else "BBBB")
    assert pull(forged).status_code == 401
