"""Shared fixtures: fresh nodes, the app, its test client, the CLI, live servers and Chromium.

Also which tests are slow: `pytest -m "not slow"` runs the others in well under a minute.
"""
import contextlib
import os
import socket
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from jinja2 import BytecodeCache
from clerk_helpers import PASSWORD, login

from village import create_app
from village import users as user_accounts
from village.cli import main
from village.node import open_db
from village.node import init_node
from village.users import add_user
from village.hubdb import audited, sync_store
from village.records import core
from pg_helpers import shared_cluster, template

# Slow by nature: a real browser, processes started (and killed), servers of several processes,
# seconds of traffic through a throttled link, gigabytes of data. A test file may also mark its
# own tests with @pytest.mark.slow.
SLOW_FIXTURES = {"browser", "page"}
SLOW_FILES = {"test_durability.py", "test_sync_faults.py", "test_serve.py"}
SLOW_TESTS = {
    "test_scheduler.py::test_lock_refuses_a_second_scheduler_in_another_process",
    "test_scheduler.py::test_second_server_on_one_data_dir_serves_pages_but_runs_no_jobs",
    "test_recovery_disk.py::test_a_read_only_data_directory_is_said_plainly",
    "test_files_bundles.py::test_a_2gb_file_is_refused_from_its_size_without_being_read",
    "test_faultproxy.py::test_bandwidth_limit_holds_within_20_percent",
}


def pytest_collection_modifyitems(items):
    """Mark the browser tests, killed or multi-process runs and big-data tests as slow."""
    for item in items:
        file = Path(str(item.fspath)).name
        if (SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) or file in SLOW_FILES
                or f"{file}::{getattr(item, 'originalname', item.name)}" in SLOW_TESTS):
            item.add_marker(pytest.mark.slow)


class MemoryBytecodeCache(BytecodeCache):
    """Compiled templates kept in memory, shared by every app the tests make."""

    def __init__(self):
        self.store = {}

    def load_bytecode(self, bucket):
        """Fill `bucket` from memory when this template was compiled before."""
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket):
        """Keep the template just compiled."""
        self.store[bucket.key] = bucket.bytecode_to_string()


@pytest.fixture(scope="session", autouse=True)
def compiled_templates_once():
    """Compile each template once per test run rather than once per app (the node compiles at start)."""
    from flask import Flask

    Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": MemoryBytecodeCache()}
    yield
    Flask.jinja_options = {k: v for k, v in Flask.jinja_options.items() if k != "bytecode_cache"}


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch):
    """Hash passwords in this process with argon2's cheapest parameters.

    The real ones cost about a second per login here, and most page tests log in: the tests
    check what a password lets in, not how slowly it is hashed. A `village` run in a
    subprocess (and the node itself) keeps the real parameters.
    """
    from argon2 import PasswordHasher

    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(user_accounts, "_hasher", lambda: cheap)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VILLAGE_AREA = "52/5201/520102/001"
COUNTY_AREA = "52/5201/520102"


HUB_TEMPLATE = "hub_template"


@pytest.fixture(scope="session")
def pg_cluster():
    """The PostgreSQL 15 cluster of this test session (tests/pg_helpers.py), started at first use."""
    cluster = shared_cluster()
    yield cluster
    cluster.stop()


def _hub_template(url):
    """Make a database hold what `village init --database` puts there, but no node's name on it yet."""
    import psycopg

    from sync.stores import pg_migrations
    from village.hubdb import steps

    with psycopg.connect(url, autocommit=True) as conn:
        pg_migrations.migrate(conn)
        pg_migrations.migrate(conn, steps())


@pytest.fixture(params=["sqlite", "postgresql"])
def hub_engine(request):
    """Where a county hub made by `make_node` keeps its records: once SQLite, once PostgreSQL.

    A test module opts in with `pytestmark = pytest.mark.usefixtures("hub_engine")`.
    """
    return request.param


def _engine_of(request):
    callspec = getattr(request.node, "callspec", None)
    return callspec.params.get("hub_engine", "sqlite") if callspec else "sqlite"


@pytest.fixture
def make_node(tmp_path, request):
    """Return a function that creates a fresh node and returns (node, db); English unless asked.

    Under `hub_engine` "postgresql", a county hub is made with `--database` on a fresh database
    of the session's cluster, and its `db` is its PostgreSQL store (`execute` takes the same SQL;
    `local(db)` is the hub's own SQLite database).
    """
    made, databases = [], []

    def make(role="village", area=VILLAGE_AREA, name="红星村", lang="en", subdir=None):
        database = ""
        if role == "county" and _engine_of(request) == "postgresql":
            cluster = request.getfixturevalue("pg_cluster")
            databases.append(cluster.fresh_database(template(cluster, HUB_TEMPLATE, _hub_template)))
            database = cluster.url(databases[-1])
        node = init_node(tmp_path / (subdir or f"{role}{len(made)}"), role, name, area, lang, database)
        made.append(open_db(node))
        if database:
            made.append(sync_store(node, made[-1]))
            made[-1].local = made[-2]  # its users and audit log (see `local`)
        return node, made[-1]

    yield make
    for db in made:
        db.close()
    for name in databases:
        request.getfixturevalue("pg_cluster").drop_database(name)


def local(db):
    """Return the node's own SQLite database (users, sessions, audit log) of a `db` that `make_node` gave:
    `db` itself, or beside a hub's PostgreSQL store."""
    return getattr(db, "local", db)


@contextlib.contextmanager
def audited_write(db, node):
    """Open one write through the write path on a `db` that `make_node` gave, its audit entries in `local(db)`
    (as the hub's pages write: `village.web.db.records_write`); yield the Writer."""
    with audited(db, local(db)) as tx, core.write(tx, node) as writer:
        yield writer


@pytest.fixture
def node_db(make_node):
    """A fresh village node and its open database."""
    return make_node()


@pytest.fixture
def node(node_db):
    return node_db[0]


@pytest.fixture
def db(node_db):
    return node_db[1]


@pytest.fixture
def app(node):
    """The web app of a fresh village node, in testing mode (CSRF checks stay on)."""
    return create_app({"NODE": node, "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


class Village(CliRunner):
    """A CliRunner that runs `village ...` against one data directory."""

    def __init__(self, data_dir):
        super().__init__()
        self.data_dir = str(data_dir)

    def __call__(self, *args, input=None):
        return self.invoke(main, list(args), input=input, env={"VILLAGE_DATA": self.data_dir},
                           catch_exceptions=False)


@pytest.fixture
def runner(tmp_path):
    """Run CLI commands against a data directory that `village init` has not touched yet."""
    return Village(tmp_path / "data")


def free_port():
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_cheroot(app, port):
    """Serve `app` on 127.0.0.1:`port` with cheroot (the server `village serve` runs) in background threads."""
    from cheroot import wsgi

    server = wsgi.Server(("127.0.0.1", port), app, numthreads=4, server_name="village")
    server.prepare()  # bound and listening before the first request is made
    threading.Thread(target=server.serve, daemon=True).start()
    return server


class LiveServer:
    """A node's app served by cheroot on 127.0.0.1 in background threads."""

    def __init__(self, app):
        self.app = app
        self.port = free_port()
        self.server = start_cheroot(app, self.port)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.server.stop()  # its connections and worker threads too, else left for the rest of the run
        if "village_store" in self.app.extensions:
            from village.web.db import close_store

            close_store(self.app)  # a PostgreSQL hub's pool


@pytest.fixture
def serve():
    """Return a function that serves an app over real HTTP and gives its LiveServer."""
    servers = []

    def start(app):
        servers.append(LiveServer(app))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: run `make browsers` (make test does it).")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser page (new context: no cookies) that refuses any non-local request."""
    context = browser.new_context(viewport={"width": 1080, "height": 1920})
    outside = []

    def guard(route):
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    yield page
    context.close()
    assert not outside, f"pages asked for remote resources: {outside}"


# Clerk pages: two users, the app with CSRF checks off, and a client logged in as a clerk.

@pytest.fixture
def users(db):
    add_user(db, "clerk1", "clerk", PASSWORD)
    add_user(db, "field1", "fieldworker", PASSWORD)


@pytest.fixture
def open_app(node):
    """The app with CSRF checks off, to test what happens after them."""
    return create_app({"NODE": node, "TESTING": True, "WTF_CSRF_ENABLED": False})


@pytest.fixture
def clerk(open_app, users):
    """A test client logged in as a clerk (through the real login form)."""
    client = open_app.test_client()
    assert login(client).status_code == 302
    return client
