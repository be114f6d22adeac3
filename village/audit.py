"""The append-only audit log: who did what, when."""
from sync.clock import utc_text

# An entry names who and what, it does not keep what they typed: a 5 MB "username" sent to the
# login form must not become 5 MB of log that can never be deleted.
MAX_TEXT = 200


def _bounded(text):
    text = "" if text is None else str(text)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"


def record(db, actor, action, target="", detail=""):
    """Append one entry to the audit log (inside the caller's transaction, if any); texts cut to MAX_TEXT."""
    db.execute("INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
               [utc_text(), _bounded(actor),
                _bounded(action), _bounded(target), _bounded(detail)])
