"""USB bundles: export at the village, import at the hub (idempotent, any order), reply back."""
import json

import pytest

from conftest import Village
from sync.bundle_file import MAGIC
from sync.jobs import pending_count
from sync.meta import PULL_CURSOR, PUSH_CURSOR, get_meta
from sync.store import transaction
from sync_helpers import add_households, assert_same, edit, enrolled_pair, snapshot
from village.records import core

pytestmark = pytest.mark.usefixtures("hub_engine")  # every test on a SQLite and a PostgreSQL hub


@pytest.fixture
def pair(make_node, serve):
    """An enrolled village and its county hub (the hub's HTTP server only serves the enrollment)."""
    hub, hub_db, _server, village, village_db, _link = enrolled_pair(make_node, serve)
    return hub, hub_db, village, village_db


def run(node, *args):
    return Village(node.data_dir)("bundle", *args)


def export(node, path):
    result = run(node, "export", "--out", str(path))
    assert result.exit_code == 0, result.output
    return path


def hub_import(hub, path, reply=None):
    result = run(hub, "import", str(path), *(["--reply", str(reply)] if reply else []))
    assert result.exit_code == 0, result.output
    return result


def counts(db):
    return db.execute("SELECT COUNT(*) FROM _changes").fetchone()[0], db.execute(
        "SELECT COUNT(*) FROM _conflicts").fetchone()[0]


def announce(db, node, title):
    with core.write(db, node) as writer:
        return core.save(writer, node, "announcements", {"title": {"en": title}, "priority": "urgent"})


def test_export_then_import_twice_changes_nothing_more(pair, tmp_path):
    hub, hub_db, village, village_db = pair
    add_households(village_db, village, 30)
    bundle = export(village, tmp_path / "push.bundle")
    first = hub_import(hub, bundle, tmp_path / "reply1.bundle")
    assert "60" in first.output  # 30 households + 30 persons
    assert assert_same(village_db, hub_db, village.area) == 60
    before, log = snapshot(hub_db, village.area), counts(hub_db)
    hub_import(hub, bundle, tmp_path / "reply2.bundle")
    assert snapshot(hub_db, village.area) == before and counts(hub_db) == log


def test_reply_acknowledges_and_brings_down_hub_changes(pair, tmp_path):
    hub, hub_db, village, village_db = pair
    add_households(village_db, village, 10)
    notice = announce(hub_db, hub, "Flood warning")
    assert pending_count(village_db) == 20
    hub_import(hub, export(village, tmp_path / "push.bundle"), tmp_path / "reply.bundle")
    result = run(village, "import", str(tmp_path / "reply.bundle"))
    assert result.exit_code == 0, result.output
    assert pending_count(village_db) == 0
    assert int(get_meta(village_db, PUSH_CURSOR)) == village_db.execute(
        "SELECT MAX(seq) FROM _changes WHERE src IS NULL").fetchone()[0]
    assert int(get_meta(village_db, PULL_CURSOR)) > 0
    assert core.get(village_db, "announcements", notice)["title"] == '{"en":"Flood warning"}'
    assert_same(village_db, hub_db, village.area)
    before, log = snapshot(village_db, village.area), counts(village_db)
    assert run(village, "import", str(tmp_path / "reply.bundle")).exit_code == 0
    assert snapshot(village_db, village.area) == before and counts(village_db) == log
    # Nothing more to send: the next bundle is empty but still fetches the hub's news.
    assert "Wrote 0 changes" in run(village, "export", "--out", str(tmp_path / "next.bundle")).output


def test_bundles_and_replies_imported_out_of_order_converge(pair, tmp_path):
    hub, hub_db, village, village_db = pair
    ids = add_households(village_db, village, 5, prefix="A")
    export(village, tmp_path / "a.bundle")
    edit(village_db, village, "households", ids[0], phone="13900000000")
    add_households(village_db, village, 5, prefix="B")
    export(village, tmp_path / "b.bundle")
    # The hub meanwhile edits another field of the same household and announces something.
    hub_import(hub, tmp_path / "b.bundle", tmp_path / "rb.bundle")
    edit(hub_db, hub, "households", ids[0], address="新地址")
    announce(hub_db, hub, "Vaccination day")
    hub_import(hub, tmp_path / "a.bundle", tmp_path / "ra.bundle")
    # The village imports the newer reply first, then the older one.
    for name in ("ra.bundle", "rb.bundle"):
        assert run(village, "import", str(tmp_path / name)).exit_code == 0
    assert pending_count(village_db) == 0
    assert_same(village_db, hub_db, village.area)
    household = core.get(village_db, "households", ids[0])
    assert (household["phone"], household["address"]) == ("13900000000", "新地址")
    hub_import(hub, tmp_path / "a.bundle", tmp_path / "ra2.bundle")
    assert run(village, "import", str(tmp_path / "rb.bundle")).exit_code == 0
    assert pending_count(village_db) == 0
    assert_same(village_db, hub_db, village.area)


def flip_payload_byte(raw):
    at = len(raw) - 10
    return raw[:at] + bytes([raw[at] ^ 0x01]) + raw[at + 1:]


def change_header(raw):
    """Swap the key the reply is to be sealed to (so that whoever swapped it could read the reply)."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from sync.seal import public_text

    head, _, rest = raw[len(MAGIC):].partition(b"\n")
    header = json.loads(head)
    header["reply_key"] = public_text(X25519PrivateKey.generate())
    return MAGIC + json.dumps(header).encode() + b"\n" + rest


@pytest.mark.parametrize("tamper, says", [
    (flip_payload_byte, "changed after it was signed"),
    (change_header, "changed after it was signed"),
    (lambda raw: raw[:-5], "not a complete bundle"),
    (lambda raw: b"PK\x03\x04" + raw, "not a complete bundle"),
])
def test_tampered_bundle_is_refused_and_nothing_applied(pair, tmp_path, tamper, says):
    hub, hub_db, village, village_db = pair
    add_households(village_db, village, 3)
    bundle = export(village, tmp_path / "push.bundle")
    bundle.write_bytes(tamper(bundle.read_bytes()))
    before = counts(hub_db)
    result = run(hub, "import", str(bundle), "--reply", str(tmp_path / "reply.bundle"))
    assert result.exit_code == 1 and says in result.output
    assert counts(hub_db) == before and hub_db.execute("SELECT COUNT(*) FROM households").fetchone()[0] == 0
    assert not (tmp_path / "reply.bundle").exists()


def test_tampered_reply_is_refused_at_the_village(pair, tmp_path):
    hub, hub_db, village, village_db = pair
    announce(hub_db, hub, "Hello")
    hub_import(hub, export(village, tmp_path / "push.bundle"), tmp_path / "reply.bundle")
    reply = tmp_path / "reply.bundle"
    reply.write_bytes(flip_payload_byte(reply.read_bytes()))
    before = counts(village_db)
    result = run(village, "import", str(reply))
    assert result.exit_code == 1 and "changed after it was signed" in result.output
    assert counts(village_db) == before and get_meta(village_db, PULL_CURSOR) in (None, "0")


def test_bundles_go_to_the_right_place(pair, make_node, tmp_path):
    hub, hub_db, village, village_db = pair
    bundle = export(village, tmp_path / "push.bundle")
    other, _ = make_node(subdir="other")
    result = run(other, "import", str(bundle))
    assert result.exit_code == 1 and "not enrolled at this hub" in result.output
    hub_import(hub, bundle, tmp_path / "reply.bundle")
    result = run(hub, "import", str(tmp_path / "reply.bundle"))
    assert result.exit_code == 1 and "not enrolled at a hub" in result.output
    result = run(other, "export", "--out", str(tmp_path / "x.bundle"))
    assert result.exit_code == 1 and "not enrolled at a hub" in result.output


def test_revoked_node_is_refused(pair, tmp_path):
    hub, hub_db, village, village_db = pair
    add_households(village_db, village, 2)
    bundle = export(village, tmp_path / "push.bundle")
    link = get_meta(village_db, "sync.link_id")
    assert Village(hub.data_dir)("node", "revoke", link).exit_code == 0
    result = run(hub, "import", str(bundle))
    assert result.exit_code == 1 and "revoked" in result.output
    assert hub_db.execute("SELECT COUNT(*) FROM households").fetchone()[0] == 0


def test_a_hub_that_lost_changes_makes_the_village_send_them_again(pair, tmp_path):
    hub, hub_db, village, village_db = pair
    add_households(village_db, village, 4, prefix="A")
    hub_import(hub, export(village, tmp_path / "a.bundle"), tmp_path / "ra.bundle")
    assert run(village, "import", str(tmp_path / "ra.bundle")).exit_code == 0
    # The hub is restored from an old backup: it holds none of the village's changes.
    link = get_meta(village_db, "sync.link_id")
    with transaction(hub_db) as tx:
        tx.execute("DELETE FROM persons")
        tx.execute("DELETE FROM households")
        tx.execute("DELETE FROM _changes WHERE src = ?", [link])
        tx.execute("UPDATE nodes SET push_cursor = 0 WHERE node_id = ?", [link])
    add_households(village_db, village, 2, prefix="B")
    gap = hub_import(hub, export(village, tmp_path / "b.bundle"), tmp_path / "rb.bundle")
    assert "lacks older changes" in gap.output
    assert run(village, "import", str(tmp_path / "rb.bundle")).exit_code == 0
    assert pending_count(village_db) == 12
    hub_import(hub, export(village, tmp_path / "c.bundle"), tmp_path / "rc.bundle")
    assert run(village, "import", str(tmp_path / "rc.bundle")).exit_code == 0
    assert pending_count(village_db) == 0
    assert assert_same(village_db, hub_db, village.area) == 12
