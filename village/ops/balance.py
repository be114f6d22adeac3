"""Sharing the work between the serving processes of `village serve`, and inside each one.

Between processes: a browser keeps its connection, so the process that accepts it serves all
its pages. Left to the race on the shared socket, one process can win most connections and its
pages wait twice as long. So each process keeps its count of open connections in memory shared
since the fork, and accepts a new connection only while no process holds fewer. A process that
has ended, or not started yet, counts as full, so it never holds the others back; and a process
that sees a connection waiting longer than PATIENCE accepts it whatever the counts say, so a
process that has stopped answering cannot keep a browser waiting for ever.

Inside a process: Python runs one thread at a time, and SQLite lets go of Python's lock at every
row it steps to. With several requests running at once, each such step hands the lock to another
thread and back (two switches between threads a row): measured at ten clients, a page of 100
records cost twice the CPU with four busy threads as with one. So requests take turns (`Turns`):
one runs while the others wait for their turn, at most PATIENCE each; a request that has waited
that long runs anyway, so a slow one (a sync of many records, an export) delays the others by
PATIENCE, never by its whole length.
"""
import multiprocessing
import threading
import time

FULL = 2 ** 30
PATIENCE = 0.05  # seconds: the longest a connection or a request waits for its turn
_PAUSE = 0.0005  # seconds between two looks at a waiting connection that another process should take


class Balance:
    """Open connections per serving process, in memory shared by the processes; made before the fork."""

    def __init__(self, processes):
        self.counts = multiprocessing.RawArray("i", [FULL] * processes)

    def serve_as(self, slot, server):
        """Make cheroot `server` (prepared, not yet serving), in process `slot`, accept a connection only
        while no process holds fewer, and count its connections."""
        lock, counts = threading.Lock(), self.counts
        counts[slot] = 0

        class Counted(server.ConnectionClass):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self._counted = True
                with lock:
                    counts[slot] += 1

            def close(self):
                super().close()
                with lock:
                    if getattr(self, "_counted", False):
                        self._counted = False
                        counts[slot] -= 1

        server.ConnectionClass = Counted
        manager = server._connections  # noqa: SLF001 -- cheroot has no public hook for accepting
        accept, seen = manager._from_server_socket, {"since": 0.0, "last": 0.0}  # noqa: SLF001

        def accept_when_fewest(listener):
            now = time.monotonic()
            if now - seen["last"] > 0.02:  # not looked at just before: this is a new connection waiting
                seen["since"] = now
            seen["last"] = now
            if counts[slot] > min(counts) and now - seen["since"] < PATIENCE:
                time.sleep(_PAUSE)  # the listener stays readable: look again in a moment
                return None
            seen["last"] = 0.0
            return accept(listener)

        manager._from_server_socket = accept_when_fewest  # noqa: SLF001

    def ended(self, slot):
        """Count process `slot` as full from now on (it has ended)."""
        self.counts[slot] = FULL


class Turns:
    """A WSGI app that runs `app`'s requests one at a time in this process, each waiting at most PATIENCE."""

    def __init__(self, app):
        self.app, self.turn = app, threading.Lock()

    def __call__(self, environ, start_response):
        mine = self.turn.acquire(timeout=PATIENCE)
        try:
            return self.app(environ, start_response)
        finally:
            if mine:
                self.turn.release()

