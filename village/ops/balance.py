"""Which serving process of `village serve` takes the next connection: one with the fewest open.

A browser keeps its connection, so the process that accepts it serves all its pages. Left to
the race on the shared socket, the same process won 14 to 20 of 20 connections here, and its
pages waited twice as long. So each process writes its count of open connections into memory
shared since the fork, and listens for new connections only while no process holds fewer.

A process takes no notice of the others while it waits for its own network events, so one
that takes a connection wakes the others (a byte down a pipe each): the one that now holds the
fewest starts listening. A process that has ended counts as full, so it never holds the others
back; one that has not started yet counts as full too.
"""
import multiprocessing
import os

from waitress import wasyncore

FULL = 2 ** 30


class Balance:
    """Open connections per serving process, and a pipe to wake each; made before the fork."""

    def __init__(self, processes):
        self.counts = multiprocessing.RawArray("i", [FULL] * processes)
        self.pipes = [os.pipe() for _ in range(processes)]
        for _read, write in self.pipes:
            os.set_blocking(write, False)

    def serve_as(self, slot, server):
        """Make waitress `server`, in process `slot`, accept only while no process holds fewer."""
        _Waker(self.pipes[slot][0], server._map)
        readable = server.readable  # asyncore asks it before each wait for events
        held = [FULL]

        def readable_when_fewest():
            open_now = len(server._map)  # the same listener, waker and trigger in every process
            self.counts[slot] = open_now
            if open_now > held[0]:
                self._wake_others(slot)  # another process may now hold the fewest
            held[0] = open_now
            return readable() and open_now <= min(self.counts)

        server.readable = readable_when_fewest

    def ended(self, slot):
        """Count process `slot` as full from now on (it has ended)."""
        self.counts[slot] = FULL

    def _wake_others(self, slot):
        for other, (_read, write) in enumerate(self.pipes):
            if other != slot:
                try:
                    os.write(write, b"!")
                except BlockingIOError:
                    pass  # its pipe is full of wake-ups it has yet to read: it will look anyway


class _Waker(wasyncore.file_dispatcher):
    """The read end of a process's wake-up pipe, in its asyncore loop: reading is all it does."""

    def readable(self):
        return True

    def writable(self):
        return False

    def handle_read(self):
        self.recv(4096)
