"""Many villages polling a hub with nothing new, from load generators that cost the hub's machine little.

The hub's figure is what one poll takes to be answered, but the benchmark runs on the hub's own
two cores: a node's `HubClient` (requests, a thread per village) spends about as much CPU on
a poll as the hub does, and that time would be counted as the hub's. So here each load
process speaks the protocol itself over kept-alive sockets, one asyncio task per village: a
signed POST /sync/pull (`sync.auth.sign`, the nonce of the previous answer), the answer read by
its Content-Length and decoded as the one batch format (`sync.batch.decode`), so a poll that
is refused or carries changes is noticed, not timed.
"""
import asyncio
import json
import multiprocessing
import time

from sync.auth import sign
from sync.batch import decode

PATH = "/sync/pull"


async def _poll(host, port, village, slots, rate, start, took):
    """Poll as one village at its time slots (`slots`, from `start`); append each poll's ms to `took`."""
    link_id, secret, nonce, cursor = village
    loop, writer = asyncio.get_running_loop(), None
    try:
        for slot in slots:
            wait = start + slot / rate - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            began = time.perf_counter()
            if writer is None:  # the first poll, or the hub closed the connection: a village connects again
                reader, writer = await asyncio.open_connection(host, port)
                took.connects += 1
            body = json.dumps({"cursor": cursor, "limit": 500}).encode()
            head = (f"POST {PATH} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\nX-Sync-Node: {link_id}\r\nX-Sync-Nonce: {nonce}\r\n"
                    f"X-Sync-Time: {int(time.time() * 1000)}\r\n"
                    f"X-Sync-Signature: {sign(secret, 'POST', PATH, body, nonce, link_id)}\r\n\r\n")
            writer.write(head.encode() + body)
            status, headers = _head(await reader.readuntil(b"\r\n\r\n"))
            payload = await reader.readexactly(int(headers["content-length"]))
            took.append((time.perf_counter() - began) * 1000)
            if status != 200:
                raise AssertionError(f"a poll was refused: HTTP {status} {payload[:200]!r}")
            envelope, changes = decode(payload)
            if changes or envelope["more"]:
                raise AssertionError(f"an empty poll received {len(changes)} changes")
            nonce, cursor = headers["x-sync-nonce"], envelope["last"]
            if headers.get("connection", "").lower() == "close":
                writer.close()
                writer = None
    finally:
        if writer is not None:
            writer.close()


class _Took(list):
    """The ms of each poll of one load process, and how many connections it opened."""

    connects = 0


def _head(raw):
    """Return (status, {lower-case name: value}) of an HTTP answer's head."""
    lines = raw.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), {name.lower(): value for name, value in headers.items()}


def _load(host, port, villages, slot_lists, rate, start_wall, out):
    """One load process: poll as `villages` until their slots run out; put the ms of every poll on `out`."""
    took_all = _Took()

    async def main():
        loop = asyncio.get_running_loop()
        start = loop.time() + (start_wall - time.time())
        await asyncio.gather(*(_poll(host, port, village, slots, rate, start, took_all)
                               for village, slots in zip(villages, slot_lists)))
        return took_all

    try:
        took = asyncio.run(main())
        out.put(("ok", (list(took), took.connects)))
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
        out.put(("error", repr(exc) + f" after {len(took_all)} polls"))


def poll_at_rate(host, port, villages, rate, seconds, processes=2):
    """Poll the hub at host:port as `villages` [(link id, secret, nonce, cursor)], at an offered `rate`
    a second in all (each village at its own slots) for `seconds`.

    Return (ms of every poll, wall seconds, connections opened): a village connects again when
    the hub's answer closed its connection, and that poll's time includes the connecting.
    """
    slots = int(rate * seconds)
    per_village = [list(range(i, slots, len(villages))) for i in range(len(villages))]
    context = multiprocessing.get_context("spawn")  # the parent holds threads and sockets: start clean
    out = context.Queue()
    start_wall = time.time() + 2.0  # spawned interpreters start in about a second
    workers = [context.Process(target=_load, args=(host, port, villages[p::processes], per_village[p::processes],
                                                   rate, start_wall, out))
               for p in range(processes)]
    for worker in workers:
        worker.start()
    results = [out.get() for _ in workers]
    for worker in workers:
        worker.join()
    wall = time.time() - start_wall
    errors = [detail for state, detail in results if state == "error"]
    if errors:
        raise AssertionError(f"a load process failed: {errors[0]}")
    return ([ms for _state, (took, _c) in results for ms in took], wall,
            sum(connects for _state, (_t, connects) in results))
