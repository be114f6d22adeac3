"""The append-only audit log: who did what, when; read back filtered by who, what and which days."""
import datetime

from sync.clock import utc_text

# An entry names who and what, it does not keep what they typed: a 5 MB "username" sent to the
# login form must not become 5 MB of log that can never be deleted.
MAX_TEXT = 200


def _bounded(text):
    text = "" if text is None else str(text)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"


def record(db, actor, action, target="", detail=""):
    """Append one entry to the audit log (inside the caller's transaction, if any); texts cut to MAX_TEXT.

    At a hub whose records are on PostgreSQL, `db` is that store's transaction and the entry goes
    to the node's own database it names (`audit_db`, see `village.hubdb.audited`).
    """
    getattr(db, "audit_db", db).execute("INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
               [utc_text(), _bounded(actor),
                _bounded(action), _bounded(target), _bounded(detail)])


def _where(actor=None, action=None, since=None, until=None):
    """Return the WHERE clause and its values for entries of `actor`, `action` (or its group), between two days."""
    clauses, values = [], []
    if actor:
        clauses.append("actor = ?")
        values.append(actor)
    if action:
        # "user" finds user.add, user.disable, ...: a whole group of actions at once.
        clauses.append("(action = ? OR action LIKE ? ESCAPE '\\')")
        values += [action, action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ".%"]
    if since:
        clauses.append("at >= ?")
        values.append(since.isoformat())
    if until:
        clauses.append("at < ?")  # the whole of the last day
        values.append((until + datetime.timedelta(days=1)).isoformat())
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", values


def entries(db, actor=None, action=None, since=None, until=None, limit=50, offset=0):
    """Return (total, entries newest first as dicts) of the audit log filtered by who, what and which days."""
    where, values = _where(actor, action, since, until)
    total = db.execute(f"SELECT COUNT(*) FROM audit{where}", values).fetchone()[0]
    cur = db.execute(f"SELECT id, at, actor, action, target, detail FROM audit{where} ORDER BY id DESC "
                     "LIMIT ? OFFSET ?", [*values, int(limit), int(offset)])
    names = ("id", "at", "actor", "action", "target", "detail")
    return total, [dict(zip(names, row)) for row in cur]


def actors_and_actions(db):
    """Return (actors, actions) that appear in the log, sorted, for the filter's choices."""
    actors = [r[0] for r in db.execute("SELECT DISTINCT actor FROM audit ORDER BY actor")]
    actions = [r[0] for r in db.execute("SELECT DISTINCT action FROM audit ORDER BY action")]
    return actors, actions
