"""A county hub made with `village init --database postgresql://…`: its tables, its refusals, villages at once."""
import json
import threading

import psycopg
import pytest
from conftest import COUNTY_AREA, Village
from sync_helpers import add_households, assert_same, enroll, serve_hub

from sync.stores.pg_sql import NotPortable, translate
from village.hubdb import shown
from village.node import init_node, open_db
from village.ops.sync import run_sync

VILLAGES = ("52/5201/520102/001", "52/5201/520102/002", "52/5201/520102/003", "52/5201/520102/004")


@pytest.fixture
def pg_url(pg_cluster):
    """The address of a fresh, empty database of the session's cluster."""
    name = pg_cluster.fresh_database()
    yield pg_cluster.url(name)
    pg_cluster.drop_database(name)


def columns(url, table):
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                                           "ORDER BY ordinal_position", [table])]


def test_init_makes_the_hubs_tables_and_remembers_the_database(tmp_path, pg_url):
    made = Village(tmp_path / "hub")("init", "--role", "county", "--name", "县", "--area", COUNTY_AREA,
                                     "--lang", "en", "--database", pg_url)
    assert made.exit_code == 0, made.output
    identity = json.loads((tmp_path / "hub" / "village.json").read_text())
    assert identity["settings"]["database"] == pg_url
    with psycopg.connect(pg_url) as conn:
        owner = conn.execute("SELECT value FROM _sync_meta WHERE key = 'node.id'").fetchone()[0]
    assert owner == identity["node_id"]
    # Every record table has the columns SQLite has, from the one declaration (records/schema.py).
    village = init_node(tmp_path / "v", "village", "村", VILLAGES[0], "en")
    db = open_db(village)
    for table in ("households", "visits", "monitor_cases", "announcements", "alert_receipts", "county_facts"):
        assert sorted(columns(pg_url, table)) == sorted(c.name for c in db[table].columns), table
    db.close()


@pytest.mark.parametrize("role,url,says", [
    ("village", "{url}", "Only a county hub"),
    ("county", "mysql://x@y/z", "is not a PostgreSQL address"),
    ("county", "postgresql://nobody@127.0.0.1:1/none", "could not be reached"),
])
def test_init_refuses_a_database_it_cannot_use_and_makes_nothing(tmp_path, pg_url, role, url, says):
    made = Village(tmp_path / "hub")("init", "--role", role, "--name", "县", "--area", COUNTY_AREA, "--lang", "en",
                                     "--database", url.format(url=pg_url))
    assert made.exit_code != 0 and says in made.output and "Traceback" not in made.output
    assert not (tmp_path / "hub").exists()


def test_a_database_holding_another_hub_is_refused(tmp_path, pg_url):
    first = Village(tmp_path / "a")("init", "--role", "county", "--name", "县", "--area", COUNTY_AREA, "--lang", "en",
                                    "--database", pg_url)
    assert first.exit_code == 0
    second = Village(tmp_path / "b")("init", "--role", "county", "--name", "县", "--area", COUNTY_AREA,
                                     "--lang", "en", "--database", pg_url)
    assert second.exit_code != 0 and "already holds the data of another node" in second.output
    assert not (tmp_path / "b").exists()


def test_a_password_is_never_shown():
    assert shown("postgresql://hub:s3cret@db.example/county") == "postgresql://hub:***@db.example/county"


@pytest.mark.parametrize("sql", ["INSERT OR REPLACE INTO t (a) VALUES (?)", "INSERT OR IGNORE INTO t VALUES (?)",
                                 "SELECT * FROM t ORDER BY rowid"])
def test_sqlite_only_sql_fails_loudly_on_postgresql(sql):
    with pytest.raises(NotPortable):
        translate(sql)


def test_placeholders_brackets_and_percent_signs_are_translated():
    assert translate("SELECT [code] FROM [households] WHERE area LIKE ? || '/%' AND id = ?") == \
        "SELECT \"code\" FROM \"households\" WHERE area LIKE %s || '/%%' AND id = %s"


@pytest.mark.usefixtures("hub_engine")
def test_four_villages_syncing_at_once_arrive_exactly_once(make_node, serve):
    hub, hub_db, server = serve_hub(make_node, serve)
    villages = [make_node(area=area, subdir=f"v{i}") for i, area in enumerate(VILLAGES)]
    for village, db in villages:
        enroll(hub, server, village)
        add_households(db, village, 150, prefix=village.area[-3:])
    results = []  # each round on its own connection to its village's database, as `village sync` runs it
    threads = [threading.Thread(target=lambda v=v: results.append(run_sync(v).ok)) for v, _ in villages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 4
    for village, db in villages:
        assert_same(db, hub_db, village.area)
    assert hub_db.execute("SELECT COUNT(*) FROM households").fetchone()[0] == 600
    seqs = [r[0] for r in hub_db.execute("SELECT seq FROM _changes ORDER BY seq")]
    assert seqs == list(range(1, 1201))  # every change once, no holes
