"""A node's data directory: its identity file, its database and its settings."""
import json
import re
import secrets
import sqlite3
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sync.files import write_private
from sync.meta import get_meta, set_meta
from sync.store import connect, transaction
from village.errors import Problem
from village.dbfile import explain, file_problem
from village.filemodes import make_private_dir, private_umask, tighten
from village.migrations import migrate
from village.settings import DEFAULT_LANGUAGE, LANGUAGES

ROLES = ("village", "county")
IDENTITY_FILE = "village.json"
DB_FILE = "village.db"
# Besides these, `village check` reports any file in the data directory that others may read.
OWN_FILES = (IDENTITY_FILE, DB_FILE, f"{DB_FILE}-wal", f"{DB_FILE}-shm", "sealing_key.pem", "cert_signing_key.pem")
NODE_ID_KEY = "node.id"  # in _sync_meta: which node a database (or a backup of it) belongs to
AREA_RE = re.compile(r"^\d+(/\d+)*$")


@dataclass
class Node:
    """The identity and settings of the node that owns a data directory."""

    data_dir: Path
    node_id: str
    role: str
    name: str
    area: str
    lang: str
    secret_key: str
    settings: dict = field(default_factory=dict)

    @property
    def db_path(self):
        """Return the path of the node's SQLite database."""
        return self.data_dir / DB_FILE

    def setting(self, name):
        """Return the value of setting `name` for this node."""
        from village.settings import value

        return value(name, self.settings)


def check_area(area):
    """Return the normalised code path `area`, or raise Problem."""
    area = (area or "").strip().strip("/")
    if not AREA_RE.match(area):
        raise Problem("node.bad_area", area=area)
    return area


def init_node(data_dir, role, name, area, lang=DEFAULT_LANGUAGE, database=""):
    """Create the identity file of a new node in `data_dir`; refuse an existing one.

    `database`: a county hub's postgresql:// address, where its records and sync data will
    live (made ready here, remembered in the node's settings); empty for its own SQLite file.
    """
    data_dir = Path(data_dir)
    if role not in ROLES:
        raise Problem("node.bad_role", role=role)
    if lang not in LANGUAGES:
        raise Problem("node.bad_lang", lang=lang, langs=", ".join(LANGUAGES))
    if not name or not name.strip():
        raise Problem("node.no_name")
    area = check_area(area)
    if database and role != "county":
        raise Problem("db.pg_county_only")
    if (data_dir / IDENTITY_FILE).exists() or (data_dir / DB_FILE).exists():
        raise Problem("node.exists", dir=str(data_dir))
    settings = {"database": database} if database else {}
    node = Node(data_dir, uuid.uuid4().hex[:12], role, name.strip(), area, lang, secrets.token_hex(32), settings)
    if database:
        _claim_database(node, database)  # before anything is made here: a refusal leaves nothing behind
    make_private_dir(data_dir)
    identity = {"node_id": node.node_id, "role": role, "name": node.name, "area": area, "lang": lang,
                "secret_key": node.secret_key, "settings": settings}
    with private_umask():
        try:
            # The database is made here and only here: later a missing one is an error, not a new node.
            _create_db(node)
            from village.keys import sealing_key

            sealing_key(data_dir)
            write_private(data_dir / IDENTITY_FILE, [json.dumps(identity, ensure_ascii=False, indent=2).encode()])
        except BaseException:
            # Leave no half-made node behind: a second `init` must be able to start afresh.
            for leftover in (node.db_path, Path(f"{node.db_path}-wal"), Path(f"{node.db_path}-shm")):
                leftover.unlink(missing_ok=True)
            raise
    return node


def _claim_database(node, url):
    """Make the hub's PostgreSQL database ready (its tables, this node as its owner); raise Problem if it cannot be."""
    from village.hubdb import open_store

    open_store(url, node.node_id, max_size=1).close()


def _create_db(node):
    db = connect(node.db_path)
    try:
        migrate(db)
        remember_identity(db, node)
    finally:
        db.close()


def remember_identity(db, node):
    """Record in the database which node it belongs to (once), so a backup carries its owner."""
    if get_meta(db, NODE_ID_KEY) is None:
        with transaction(db):
            set_meta(db, NODE_ID_KEY, node.node_id)


def load_node(data_dir):
    """Return the Node of `data_dir`, or raise Problem when it holds none."""
    if data_dir is None:
        raise Problem("node.no_data_dir")
    data_dir = Path(data_dir)
    path = data_dir / IDENTITY_FILE
    if not path.exists():
        raise Problem("node.missing", dir=str(data_dir))
    # The folder holds keys, secrets and personal data: only its owner may enter it, and the
    # node's own files are its owner's only (a node made by an older version had 0644 files).
    for folder in (data_dir, *(p for p in data_dir.iterdir() if p.is_dir() and not p.is_symlink())):
        tighten(folder)
    for name in OWN_FILES:
        if (data_dir / name).exists():
            tighten(data_dir / name)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Node(data_dir, raw["node_id"], raw["role"], raw["name"], raw["area"], raw["lang"],
                    raw["secret_key"], raw.get("settings", {}))
    except (ValueError, KeyError) as exc:
        raise Problem("node.damaged", path=str(path), error=str(exc)) from None


def connect_existing(node):
    """Open the database of `node` as it is; raise Problem when it is missing, empty or cut short."""
    problem = file_problem(node.db_path)
    if problem:
        raise Problem(problem[0], **problem[1])
    try:
        return connect(node.db_path)
    except sqlite3.DatabaseError as exc:
        code, params = explain(exc, node.db_path)
        raise Problem(code, **params) from None


def open_db(node):
    """Open the database of `node`, bringing its schema up to date; refuse a missing or damaged one."""
    db = connect_existing(node)
    try:
        migrate(db)
        remember_identity(db, node)
    except sqlite3.DatabaseError as exc:
        db.close()
        code, params = explain(exc, node.db_path)
        raise Problem(code, **params) from None
    except BaseException:
        db.close()
        raise
    return db
