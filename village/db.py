"""Open and close a node's SQLite database; one connection per request on `g`."""
from flask import current_app, g

from sync.store import connect
from village.migrations import migrate


def open_db(node):
    """Open the database of `node`, bringing its schema up to date."""
    db = connect(node.db_path)
    try:
        migrate(db)
    except Exception:
        db.close()
        raise
    return db


def get_db():
    """Return this request's database connection, opening it on first use."""
    if "db" not in g:
        g.db = connect(current_app.config["NODE"].db_path)
    return g.db


def close_db(_exc=None):
    """Close this request's database connection, if one was opened."""
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_app(app):
    """Close the request's connection at teardown."""
    app.teardown_appcontext(close_db)
