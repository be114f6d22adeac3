"""The append-only audit log: who did what, when."""
import datetime


def record(db, actor, action, target="", detail=""):
    """Append one entry to the audit log (inside the caller's transaction, if any)."""
    db.execute("INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
               [datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), actor, action,
                target, detail])
