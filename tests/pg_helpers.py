"""A throwaway PostgreSQL cluster for the tests: Debian's postgresql-15, in a temporary directory.

One cluster per test session (`Cluster.start`), a fresh database per test made from a template
that already holds the store's tables (`Cluster.fresh_database`): CREATE DATABASE ... TEMPLATE
copies files, far faster than running the migrations again. As root, initdb and pg_ctl refuse
to run, so they run as the `postgres` user (`runuser -u postgres --`).
"""
import atexit
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PG_BIN = Path(os.environ.get("VILLAGE_PG_BIN", "/usr/lib/postgresql/15/bin"))
MISSING = "PostgreSQL 15 is missing: run `make postgres` (make test does it)."


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """A PostgreSQL cluster of our own: data and socket in one temporary directory, on a free port."""

    def __init__(self, fsync=False):
        self.fsync = fsync
        self.dir = Path(tempfile.mkdtemp(prefix="village-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.running = False
        self._names = itertools.count(1)

    def _as_owner(self, *args):
        """Run a PostgreSQL program as the cluster's owner (the `postgres` user when we are root)."""
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run([*prefix, *map(str, args)], check=True, capture_output=True, text=True, timeout=120)

    def start(self):
        """Make the cluster and start its server; return self."""
        if not (PG_BIN / "initdb").exists():
            raise RuntimeError(MISSING)
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
        self._as_owner(PG_BIN / "initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                       "--locale=C.UTF-8", "--no-sync")
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200 "
                   f"-c fsync={'on' if self.fsync else 'off'}")
        self._as_owner(PG_BIN / "pg_ctl", "-D", self.data, "-o", options, "-l", self.dir / "server.log", "-w",
                       "start")
        self.running = True
        atexit.register(self.stop)  # also when the session ends without its fixture's teardown
        return self

    def stop(self):
        """Stop the server (at once: nothing in it is kept) and remove its directory."""
        if self.running:
            self.running = False
            try:
                self._as_owner(PG_BIN / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
            except subprocess.CalledProcessError:
                pass  # already gone (a test killed it): the directory still goes
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database="postgres"):
        """Return the connection URL of one database of this cluster (over its unix socket)."""
        return f"postgresql://postgres@/{database}?host={self.dir}&port={self.port}"

    def admin(self, sql):
        """Run one statement outside a transaction in the `postgres` database (CREATE/DROP DATABASE)."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql)

    def fresh_database(self, template="template1"):
        """Create a new empty database copied from `template`; return its name."""
        name = f"t{next(self._names)}"
        self.admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def drop_database(self, name):
        """Drop a database made by `fresh_database` (its connections are ended first)."""
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_SHARED = []


def shared_cluster():
    """Return this test session's one cluster, started at its first use (stopped at exit, see Cluster.start).

    Both tests/conftest.py and tests/sync_engine/conftest.py (which runs without the first, see
    tests/test_sync_alone.py) hand it out as their `pg_cluster`: one cluster per session either way.
    """
    if not _SHARED:
        cluster = Cluster()
        try:
            cluster.start()
        except BaseException:
            cluster.stop()
            raise
        _SHARED.append(cluster)
    return _SHARED[0]


def template(cluster, name, make):
    """Return the name of template database `name` of `cluster`, made by `make(url)` the first time."""
    import psycopg

    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return name
    cluster.admin(f'CREATE DATABASE "{name}"')
    make(cluster.url(name))
    return name
