"""Serving a node: cheroot for the pages and API, APScheduler for its jobs.

Python runs one thread at a time, so one process uses one core however many threads it has.
`village serve` therefore starts `workers` processes (one per core, at most two, unless the
`serve_workers` setting says otherwise) that share one listening socket: the kiosk, the clerk
desk and a tablet's sync can then run on different cores. Only the first process runs the
scheduled jobs and serves HTTPS for tablets (`village.ops.https`); the others only serve, and
stop when it stops. Inside a process requests take turns (`village.ops.balance.Turns`).

Why cheroot and not waitress (which served HTTP before): waitress reads each request in one
thread and runs it in another, two hand-overs of Python's lock a request; at ten clients a page
of 100 records cost 4.1 ms of CPU under waitress and 2.8 ms under cheroot, both with four
threads taking turns (5.0 ms under waitress without turns, as it served before). cheroot already served the tablets' HTTPS, so one server does both.
"""
import os
import signal
import socket
import sys
import threading
import time
import traceback

from cheroot import wsgi

from village import create_app
from village.ops.balance import Balance, Turns
from village.ops.https import start_https
from village.i18n import translations
from village.i18n_markers import N_

# Threads a serving process runs, by the node's role. Requests take turns, so more threads only
# wait, and waiters are not served in order (Python's lock is not fair): with four, a page at a
# village waited up to the 50 ms patience (bench: kiosk home p99 50.8 ms; with two 15.7 ms). Two
# still let a slow request (a "sync now", an export) share the process once its turn runs long.
# A hub keeps four: a village's push is read from its 2G link by the thread that serves it.
THREADS = {"village": 2, "county": 4}
MAX_AUTO_WORKERS = 2
BACKLOG = 128  # connections the kernel holds for us while every process is busy
# Idle connections a process keeps open (cheroot's default is 10): a hub's villages sync over 2G,
# where a new connection costs a second or more of handshakes, and a round is several requests
# (ping, pushes, pull); past the limit every answer closes its connection. An idle one costs a
# file descriptor, watched by cheroot's selector, not a thread.
KEEP_ALIVE = 200
STOP_GRACE = 6  # seconds a stopping process has to finish its requests and jobs before it just ends


def worker_count(node):
    """Return how many serving processes to run: the setting, else one per core (at most two)."""
    return node.setting("serve_workers") or max(1, min(MAX_AUTO_WORKERS, os.cpu_count() or 1))


def run(node, host, port):
    """Serve `node` on host:port until stopped, running its scheduled jobs unless another server does."""
    from village.ops.scheduler import NodeScheduler

    listener = socket.create_server((host, port), backlog=BACKLOG)
    flask_app = create_app({"NODE": node})  # opens no database and starts no thread: safe to fork
    _compile_templates(flask_app)
    app = Turns(flask_app)  # HTTP and HTTPS take turns in each process (a copy of it after the fork)
    threads = THREADS[node.role]
    count = worker_count(node)
    balance = Balance(count)
    # The workers share the app's pages with this process until either writes to them.
    workers = {_fork_worker(app, listener, balance, slot, threads): slot for slot in range(1, count)}
    signal.signal(signal.SIGTERM, _stop)  # so that `finally` runs and stops the workers
    signal.signal(signal.SIGCHLD, lambda _signum, _frame: _reap(workers, balance))
    gettext = translations(node.lang).gettext
    jobs = NodeScheduler(node)
    https = None
    try:
        owner = jobs.start()
        if owner:
            print(gettext(N_("Scheduled jobs (sync, backups) run in this server.")), flush=True)
        else:
            print(gettext(N_("Another server already runs the scheduled jobs of %(dir)s; this one only serves "
                             "pages.")) % {"dir": str(node.data_dir)}, file=sys.stderr, flush=True)
        print(f"Serving {node.name} at http://{host}:{port}/", flush=True)
        # Only the server that owns the data directory serves the tablets: cheroot binds with
        # SO_REUSEPORT, so a second one would share the HTTPS port with the first. After the
        # forks: a thread must not be forked.
        https = start_https(app, node, host, lambda text: print(text, file=sys.stderr, flush=True)) if owner else None
        if https:
            print(f"Serving {node.name} for tablets at https://{host}:{https.port}/", flush=True)
        _serve(app, listener, balance, 0, threads)
    finally:
        if https:
            https.stop()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for pid in list(workers):
            _end(pid)
        jobs.shutdown()


def _compile_templates(app):
    """Compile every template now, once for all processes, not at each process's first page."""
    env = app.jinja_env
    for name in env.list_templates(extensions=["html"]):
        env.get_template(name)


class _Server(wsgi.Server):
    """cheroot's server on a socket made before the fork and shared by every serving process."""

    def __init__(self, app, listener, threads):
        super().__init__(listener.getsockname()[:2], app, numthreads=threads, server_name="village",
                         request_queue_size=BACKLOG)
        self.keep_alive_conn_limit = KEEP_ALIVE
        # Set on the listener, so every connection accepted from it has it: a small answer goes out
        # at once instead of waiting for the browser's acknowledgement of the one before.
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.listener = listener

    def bind(self, family, type, proto=0):  # noqa: A002 -- cheroot's signature
        self.socket = self.listener
        return self.socket


def _serve(app, listener, balance, slot, threads):
    server = _Server(app, listener, threads)
    server.prepare()
    # Non-blocking: of two processes woken by one new connection, the one that loses the race must
    # not wait in accept() for the next (cheroot's own timeout would hold its other browsers up).
    listener.settimeout(0)
    balance.serve_as(slot, server)
    try:
        server.serve()
    finally:
        server.stop()


def _stop(_signum, _frame):
    # cheroot stops by waiting for each of its threads, and once a graceful wait has run out it
    # waits again without end: a thread it never woke (seen after a thousand polls a second)
    # held a stopping process for ever. Whatever happens, the process ends STOP_GRACE from now.
    threading.Thread(target=_exit_after, args=(STOP_GRACE,), daemon=True).start()
    raise SystemExit(0)


def _exit_after(seconds):
    time.sleep(seconds)
    os._exit(0)


def _fork_worker(app, listener, balance, slot, threads):
    """Start a process that serves `app` on `listener` too; return its pid."""
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:
        signal.signal(signal.SIGTERM, _stop)
        threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
        _serve(app, listener, balance, slot, threads)
    except (SystemExit, KeyboardInterrupt):  # stopped by its server, or a terminal's Ctrl-C to the group
        pass
    except BaseException:  # noqa: BLE001 -- a worker must never return into the parent's code
        traceback.print_exc()
        code = 1
    os._exit(code)


def _exit_with_parent(parent):
    """End this worker when the process that started it is gone (even after a kill -9)."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def _reap(workers, balance):
    """Note the workers that have ended, so that they hold no connections back."""
    for pid, slot in list(workers.items()):
        try:
            ended = os.waitpid(pid, os.WNOHANG)[0] == pid
        except ChildProcessError:
            ended = True
        if ended:
            balance.ended(slot)
            del workers[pid]


def _end(pid):
    try:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
