"""The web app's database: each server thread keeps one connection for its requests."""
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


def end_request(_exc=None):
    """Leave the thread's connection clean for its next request: no transaction left open."""
    db = g.pop("db", None)
    if db is not None and db.conn.in_transaction:
        db.conn.execute("ROLLBACK")


def init_app(app):
    """Keep one connection per server thread, checked at the end of every request."""
    app.extensions["village_db"] = threading.local()
    app.teardown_appcontext(end_request)
