"""A PostgreSQL hub's own rows: its links (enrolled nodes), the nonces they used, re-stamps and quarantine.

A part of `PgTx` (`sync.stores.postgres`): it uses the transaction's connection and helpers.
"""
from sync.quarantine import HELD


class PgHubRows:
    """The hub's bookkeeping statements of a `PgTx`."""

    def add_link(self, link):
        self._insert("nodes", link)

    def get_link(self, link_id):
        rows = self._rows("SELECT *, node_id AS link_id FROM nodes WHERE node_id = %s", [link_id or ""])
        return rows[0] if rows else None

    def lock_push_cursor(self, link_id):
        return self._one("SELECT push_cursor FROM nodes WHERE node_id = %s FOR UPDATE", [link_id])[0]

    def touch_link(self, link_id, seen_at, skew_ms):
        self.conn.execute("UPDATE nodes SET last_seen = %s, clock_skew_ms = COALESCE(%s, clock_skew_ms) "
                          "WHERE node_id = %s", [seen_at, skew_ms, link_id])

    def save_push(self, link_id, cursor, restamped, last_push):
        self.conn.execute("UPDATE nodes SET push_cursor = %s, restamped = restamped + %s, last_push = %s "
                          "WHERE node_id = %s", [cursor, restamped, last_push, link_id])

    def save_status(self, link_id, status, at):
        self.conn.execute("UPDATE nodes SET status = %s, status_at = %s WHERE node_id = %s", [status, at, link_id])

    def admit(self, link_id, nonce, issued_ms, oldest_ms, seen_at, skew_ms):
        # One statement, one round trip: a poll's whole write.
        return self.conn.execute(
            "WITH gone AS (DELETE FROM sync_nonces WHERE issued_ms < %s), "
            "used AS (INSERT INTO sync_nonces (nonce, issued_ms) VALUES (%s, %s) ON CONFLICT DO NOTHING RETURNING 1) "
            "UPDATE nodes SET last_seen = %s, clock_skew_ms = COALESCE(%s, clock_skew_ms) "
            "WHERE node_id = %s AND EXISTS (SELECT 1 FROM used)",
            [oldest_ms, nonce, issued_ms, seen_at, skew_ms, link_id]).rowcount == 1

    def use_nonce(self, nonce, issued_ms, oldest_ms):
        self.conn.execute("DELETE FROM sync_nonces WHERE issued_ms < %s", [oldest_ms])
        return self.conn.execute("INSERT INTO sync_nonces (nonce, issued_ms) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                                 [nonce, issued_ms]).rowcount == 1

    def restamp_of(self, old_version):
        row = self._one("SELECT new_version FROM sync_restamps WHERE old_version = %s", [old_version])
        return row and row[0]

    def add_restamp(self, old_version, new_version):
        self._insert("sync_restamps", {"old_version": old_version, "new_version": new_version})

    def hold(self, held):
        self._insert("sync_quarantine", held, "ON CONFLICT (node_id, version) DO NOTHING")

    def held(self, state, node_id, limit):
        return self._rows("SELECT * FROM sync_quarantine WHERE state = %s AND (%s::text IS NULL OR node_id = %s) "
                          "ORDER BY id DESC LIMIT %s", [state, node_id, node_id, limit])

    def get_held(self, quarantine_id):
        rows = self._rows("SELECT * FROM sync_quarantine WHERE id = %s", [quarantine_id])
        return rows[0] if rows else None

    def decide(self, quarantine_id, state, by, at):
        self.conn.execute("UPDATE sync_quarantine SET state = %s, decided_by = %s, decided_at = %s WHERE id = %s "
                          "AND state = %s", [state, by, at, quarantine_id, HELD])
