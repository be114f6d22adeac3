"""The web app's database: each server thread keeps one connection for its requests."""
import contextlib
import threading

from flask import current_app, g

from sync.store import connect


def get_db():
    """Return this thread's database connection, opening it on the thread's first request.

    Opening a connection (and setting its pragmas) costs about as much as rendering a page,
    so a server thread keeps its own for every request it serves.
    """
    if "db" not in g:
        local = current_app.extensions["village_db"]
        db = getattr(local, "db", None)
        if db is None:
            db = local.db = connect(current_app.config["NODE"].db_path)
        g.db = db
    return g.db


def get_store():
    """Return where this node keeps its records and sync data: its PostgreSQL store (a county hub
    made with `village init --database`), opened once per app, else this thread's SQLite database."""
    node = current_app.config["NODE"]
    url = node.setting("database") if node.role == "county" else ""
    if not url:
        return get_db()
    holder = current_app.extensions["village_store"]
    with holder["lock"]:
        if holder.get("store") is None:
            from village.hubdb import open_store

            # Sized per serving worker (its threads), not per village: pushes wait for a connection.
            holder["store"] = open_store(url, node.node_id, max_size=current_app.config.get("STORE_POOL_SIZE", 8))
    return holder["store"]


def records_transaction():
    """Open one write of the records and their audit entries, wherever this node keeps each (`hubdb.audited`)."""
    from village.hubdb import audited

    return audited(get_store(), get_db())


@contextlib.contextmanager
def records_write(node):
    """Open one write of records through the write path (`core.write`) with its audit entries; yield the Writer.

    On a PostgreSQL hub the records go to its store and the audit entries to its own database
    (`records_transaction`), where a plain `core.write(get_db(), …)` would write to the wrong one.
    """
    from village.records import core

    with records_transaction() as tx, core.write(tx, node) as writer:
        yield writer


def close_store(app):
    """Close the app's PostgreSQL store, if it opened one."""
    store = app.extensions["village_store"].pop("store", None)
    if store is not None:
        store.close()


def end_request(_exc=None):
    """Leave the thread's connection clean for its next request: no transaction left open."""
    db = g.pop("db", None)
    if db is not None and db.conn.in_transaction:
        db.conn.execute("ROLLBACK")


def init_app(app):
    """Keep one connection per server thread, checked at the end of every request."""
    app.extensions["village_db"] = threading.local()
    app.extensions["village_store"] = {"lock": threading.Lock()}
    app.teardown_appcontext(end_request)
