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
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN = Path(os.environ.get("VILLAGE_PG_BIN", "/usr/lib/postgresql/15/bin"))
MISSING = "PostgreSQL 15 is missing: run `make postgres` (make test does it)."


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """A PostgreSQL cluster of our own: data and socket in one temporary directory, on a free port."""

    def __init__(self, fsync=False, settings=None):
        self.fsync, self.settings = fsync, dict(settings or {})  # settings: more `-c name=value` of the server
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
        self._own_dir()
        self._as_owner(PG_BIN / "initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                       "--locale=C.UTF-8", "--no-sync")
        return self.run()

    def _own_dir(self):
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)

    def run(self):
        """Start the server on the cluster's data (again, after a stop or a kill); return self."""
        settings = {"listen_addresses": "127.0.0.1", "max_connections": 200, "fsync": "on" if self.fsync else "off",
                    **self.settings}
        options = f"-p {self.port} -k {self.dir} " + " ".join(f"-c {name}={value}" for name, value in settings.items())
        self._as_owner(PG_BIN / "pg_ctl", "-D", self.data, "-o", options, "-l", self.dir / "server.log", "-w",
                       "start")
        if not self.running:
            atexit.register(self.stop)  # also when the session ends without its fixture's teardown
        self.running = True
        return self

    def replica(self, name="replica1"):
        """Make a streaming standby of this cluster (`pg_basebackup -R`) on another port, started; return it.

        It reports itself as `name` (cluster_name): the name `synchronous_standby_names` lists.
        """
        standby = Cluster(self.fsync, {"cluster_name": name})
        standby._own_dir()
        self._as_owner(PG_BIN / "pg_basebackup", "-D", standby.data, "-R", "-X", "stream", "-h", self.dir,
                       "-p", self.port, "-U", "postgres", "--no-sync")
        return standby.run()

    def wait_replayed(self, timeout=30):
        """Wait (on a primary) until every standby has replayed all it has written so far."""
        deadline = time.monotonic() + timeout
        sql = "SELECT COUNT(*) > 0 AND bool_and(replay_lsn >= pg_current_wal_lsn()) FROM pg_stat_replication"
        while not self.query("postgres", sql)[0][0]:
            if time.monotonic() > deadline:
                raise AssertionError("the standby did not catch up")
            time.sleep(0.05)

    def cut_off(self, timeout=30):
        """Stop this standby receiving (as a broken link would): what the primary commits next, it lacks."""
        self.query("postgres", "ALTER SYSTEM SET primary_conninfo = ''")
        self.query("postgres", "SELECT pg_reload_conf()")
        deadline = time.monotonic() + timeout
        while self.query("postgres", "SELECT COUNT(*) FROM pg_stat_wal_receiver")[0][0]:
            if time.monotonic() > deadline:
                raise AssertionError("the standby kept receiving")
            time.sleep(0.05)

    def promote(self):
        """Promote this standby to a primary (`pg_ctl promote`, waiting until it takes writes)."""
        self._as_owner(PG_BIN / "pg_ctl", "-D", self.data, "-w", "promote")

    def halt(self):
        """Stop the server at once (`-m immediate`: no shutdown checkpoint, as when a machine dies); keep its data."""
        self._as_owner(PG_BIN / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")

    def kill_server(self, timeout=30):
        """Kill -9 the postmaster and wait until its processes are gone (their shared memory with them)."""
        pid = int((self.data / "postmaster.pid").read_text().split()[0])
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + timeout
        for proc in [pid, *map(int, children)]:
            while _alive(proc) and time.monotonic() < deadline:
                time.sleep(0.05)
        # The killed postmaster's parent is init, which in a container may never reap it: its
        # zombie would make the next start think it still runs. The process is gone: so is its lock.
        for lock in (self.data / "postmaster.pid", self.dir / f".s.PGSQL.{self.port}.lock"):
            lock.unlink(missing_ok=True)

    def query(self, database, sql, params=()):
        """Return the rows of one statement in `database` (autocommit; [] for one that returns none)."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

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


def _alive(pid):
    """Return True while process `pid` runs (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


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
