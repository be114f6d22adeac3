"""Commit order is not sequence order: on PostgreSQL a naive SERIAL change log loses changes, ours does not.

Eight writers, each on its own connection, commit changes with random delays inside their
transactions while a reader pulls all the time by cursor. To make the race certain rather than
likely, writer 0 holds one transaction open after taking its sequence number, until the reader
has moved past that number or a second has gone by. With a SERIAL column the reader moves past it
(other writers commit higher numbers meanwhile) and never sees writer 0's change. With the
counter row, no higher number can be handed out until writer 0 commits: the reader never passes
it, and sees every change.
"""
import random
import threading
import time

import psycopg

WRITERS = 8
PER_WRITER = 20
HOLD_S = 1.0


class Reader(threading.Thread):
    """Pulls `read(cursor)` -> seqs over and over, moving its cursor to the last seq seen."""

    def __init__(self, read):
        super().__init__(daemon=True)
        self.read, self.cursor, self.seen = read, 0, set()
        self.stop, self.moved = threading.Event(), threading.Condition()

    def run(self):
        while not self.stop.is_set():
            self.pull()

    def pull(self):
        seqs = self.read(self.cursor)
        self.seen.update(seqs)
        with self.moved:
            self.cursor = max([self.cursor, *seqs])
            self.moved.notify_all()

    def passed(self, seq, timeout):
        """Wait until the cursor is beyond `seq`; return whether it got there within `timeout` seconds."""
        with self.moved:
            return self.moved.wait_for(lambda: self.cursor > seq, timeout)


def race(write, reader):
    """Run the writers and the reader; return (every seq committed, what the reader saw, whether it passed)."""
    committed, passed, lock = set(), [], threading.Lock()

    def writer(w):
        rng = random.Random(w)
        for n in range(PER_WRITER):
            hold = (lambda seq: passed.append(reader.passed(seq, HOLD_S))) if (w, n) == (0, 0) else None
            seqs = write(w, n, lambda: time.sleep(rng.uniform(0, 0.004)), hold)
            with lock:
                committed.update(seqs)

    reader.start()
    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    reader.stop.set()
    reader.join(10)
    reader.pull()  # one last pull after everything committed
    return committed, reader.seen, passed[0]


def test_a_naive_serial_change_log_loses_a_change_committed_out_of_order(pg_cluster):
    url = pg_cluster.url(pg_cluster.fresh_database())
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE naive_log (seq BIGSERIAL PRIMARY KEY, writer INT, n INT)")
    connections = [psycopg.connect(url) for _ in range(WRITERS + 1)]

    def write(w, n, pause, hold):
        conn = connections[w]
        with conn.transaction():
            seq = conn.execute("INSERT INTO naive_log (writer, n) VALUES (%s, %s) RETURNING seq", [w, n]).fetchone()[0]
            pause()
            if hold:
                hold(seq)
        return [seq]

    def read(cursor):
        conn = connections[-1]
        with conn.transaction():
            return [r[0] for r in conn.execute("SELECT seq FROM naive_log WHERE seq > %s ORDER BY seq", [cursor])]

    try:
        committed, seen, passed = race(write, Reader(read))
    finally:
        for conn in connections:
            conn.close()
    assert len(committed) == WRITERS * PER_WRITER
    assert passed, "the reader should have moved past the uncommitted seq"
    assert committed - seen, "the naive reader should have missed the change committed out of order"


def test_the_counter_row_loses_no_change(make_pg_store):
    store = make_pg_store(max_size=WRITERS + 2)

    def write(w, n, pause, hold):
        with store.transaction() as tx:
            tx.log_change({"tbl": "notes", "row_id": f"w{w}-{n}", "version": f"{n:016x}-w{w}", "op": "put",
                           "data": {"n": n}, "area": "52", "prev_area": None, "src": None, "base": None})
            pause()
            if hold:
                tx.flush()  # takes its seq now, as late writers do just before COMMIT
                hold(tx.last_seq())
        with store.snapshot() as tx:
            return [c["seq"] for c in tx.changes_after(0, 10_000) if c["row_id"] == f"w{w}-{n}"]

    def read(cursor):
        with store.snapshot() as tx:
            return [c["seq"] for c in tx.changes_after(cursor, 1000)]

    committed, seen, passed = race(write, Reader(read))
    assert len(committed) == WRITERS * PER_WRITER
    assert not passed, "no seq after the held one may be visible before it commits"
    assert seen == committed == set(range(1, WRITERS * PER_WRITER + 1))  # none lost, no holes


def test_one_version_logged_by_two_transactions_at_once_is_kept_once(make_pg_store):
    store = make_pg_store()
    entry = {"tbl": "notes", "row_id": "r1", "version": "0000000000000001-n1", "op": "put", "data": {"n": 1},
             "area": "52", "prev_area": None, "src": "n1", "base": None}
    with store.transaction() as first:
        assert first.log_change(dict(entry))
        with store.transaction() as second:  # another connection, committed first
            assert second.log_change(dict(entry))
    with store.snapshot() as tx:
        assert [(c["seq"], c["version"]) for c in tx.changes_after(0, 10)] == [(1, entry["version"])]
