"""Small key/value state of the sync engine (clock, cursors, credentials, status)."""


def get_meta(db, key, default=None):
    """Return the value stored under `key`, or `default`."""
    row = db.execute("SELECT value FROM _sync_meta WHERE key = ?", [key]).fetchone()
    return default if row is None else row[0]


def set_meta(db, key, value):
    """Store `value` (a string) under `key`."""
    db.execute(
        "INSERT INTO _sync_meta (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


def all_meta(db, prefix=""):
    """Return every key/value pair whose key starts with `prefix`."""
    rows = db.execute("SELECT key, value FROM _sync_meta WHERE key LIKE ? ORDER BY key", [prefix + "%"])
    return dict(rows.fetchall())
