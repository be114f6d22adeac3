"""`village serve` as a node runs it: worker processes on one socket, stopped with their server."""
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port
from village.ops.serve import STOP_GRACE
from tests.test_scheduler import _answers, wait_for


def serve(node, port, workers):
    env = {**os.environ, "VILLAGE_DATA": "", "VILLAGE_SERVE_WORKERS": str(workers)}
    return subprocess.Popen([sys.executable, "-m", "village", "serve", "--data", str(node.data_dir),
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def children(pid):
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A child that ended but was not yet reaped counts as gone (and one reaped meanwhile is gone).
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def pages_answer(port, times=20):
    for _ in range(times):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
            assert page.status == 200


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_serve_runs_its_workers_and_stops_them_with_it(make_node, workers):
    node, _ = make_node(lang="en")
    port = free_port()
    server = serve(node, port, workers)
    try:
        assert "Scheduled jobs" in server.stdout.readline()  # once: only the first process runs jobs
        assert wait_for(lambda: _answers(port), 15)
        forked = children(server.pid)
        assert len(forked) == workers - 1
        pages_answer(port)
        server.send_signal(signal.SIGTERM)
        out, _err = server.communicate(timeout=15)
        assert "Scheduled jobs" not in out
    finally:
        server.kill()
    assert server.returncode == 0
    assert not [pid for pid in forked if alive(pid)]
    assert not _answers(port)


def test_workers_end_when_their_server_is_killed(make_node):
    node, _ = make_node(lang="en")
    port = free_port()
    server = serve(node, port, 2)
    try:
        assert "Scheduled jobs" in server.stdout.readline()  # printed after the worker is forked
        (worker,) = children(server.pid)
        pages_answer(port, 5)
        server.kill()  # kill -9: no chance to stop the worker itself
        server.wait(timeout=10)
        assert wait_for(lambda: not alive(worker), 5)
    finally:
        server.kill()


def test_ctrl_c_stops_the_server_and_its_workers_without_a_traceback(make_node):
    node, _ = make_node(lang="en")
    port = free_port()
    server = serve(node, port, 2)
    try:
        assert "Scheduled jobs" in server.stdout.readline()
        (worker,) = children(server.pid)
        pages_answer(port, 5)
        # A terminal's Ctrl-C reaches every process of the group, the worker too.
        os.kill(worker, signal.SIGINT)
        server.send_signal(signal.SIGINT)
        _out, err = server.communicate(timeout=15)
    finally:
        server.kill()
    assert "Traceback" not in err
    assert wait_for(lambda: not alive(worker), 5)
    assert not _answers(port)


def sockets_of(pid):
    return sum(1 for fd in Path(f"/proc/{pid}/fd").iterdir() if os.readlink(fd).startswith("socket:"))


def test_connections_are_shared_evenly_between_the_processes(make_node):
    import http.client
    import threading

    node, _ = make_node(lang="en")
    port = free_port()
    server = serve(node, port, 2)
    connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(12)]

    def browse(conn, pages):
        for _ in range(pages):
            conn.request("GET", "/")
            assert conn.getresponse().read()

    try:
        assert "Scheduled jobs" in server.stdout.readline()
        assert "Serving" in server.stdout.readline()
        time.sleep(0.5)  # printed just before the first process's loop starts: until then only the worker accepts
        processes = [server.pid, *children(server.pid)]
        before = {pid: sockets_of(pid) for pid in processes}
        for conn in connections[:6]:  # browsers arriving one after another, each keeping its connection
            browse(conn, 1)
        threads = [threading.Thread(target=browse, args=(conn, 20)) for conn in connections[6:]]
        for thread in threads:  # and a few at once
            thread.start()
        for thread in threads:
            thread.join()
        held = {pid: sockets_of(pid) - before[pid] for pid in processes}
        assert sum(held.values()) == 12
        assert max(held.values()) - min(held.values()) <= 2, held
    finally:
        for conn in connections:
            conn.close()
        server.terminate()
        server.communicate(timeout=15)


def test_a_worker_that_died_holds_no_connection_back(make_node):
    import http.client

    node, _ = make_node(lang="en")
    port = free_port()
    server = serve(node, port, 2)
    connections = []
    try:
        assert "Scheduled jobs" in server.stdout.readline()
        (worker,) = children(server.pid)
        for _ in range(4):
            connections.append(http.client.HTTPConnection("127.0.0.1", port, timeout=5))
            connections[-1].request("GET", "/")
            assert connections[-1].getresponse().read()
        os.kill(worker, signal.SIGKILL)
        assert wait_for(lambda: not alive(worker), 5)
        for _ in range(6):  # the first process takes every new browser now
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/")
            assert conn.getresponse().status == 200
            connections.append(conn)
    finally:
        for conn in connections:
            conn.close()
        server.terminate()
        server.communicate(timeout=15)


def test_a_server_whose_stop_hangs_still_ends_after_its_grace(make_node, tmp_path):
    # cheroot's thread pool once waited for ever on a thread it never woke; here its stop never returns.
    node, _ = make_node(lang="en")
    port = free_port()
    hang = ("import sys, time, cheroot.workers.threadpool as pool\n"
            "pool.ThreadPool.stop = lambda self, timeout=5: time.sleep(3600)\n"
            "from village.cli import main\n"
            "sys.argv = ['village', 'serve', '--data', sys.argv[1], '--port', sys.argv[2]]\n"
            "main()\n")
    env = {**os.environ, "VILLAGE_DATA": "", "VILLAGE_SERVE_WORKERS": "2"}
    server = subprocess.Popen([sys.executable, "-c", hang, str(node.data_dir), str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert "Scheduled jobs" in server.stdout.readline()
        forked = children(server.pid)
        pages_answer(port, 3)
        started = time.monotonic()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=STOP_GRACE * 3)
        assert STOP_GRACE - 1 < time.monotonic() - started < STOP_GRACE * 2.5
    finally:
        server.kill()
    assert wait_for(lambda: not [pid for pid in forked if alive(pid)], 5)
    assert not _answers(port)


def test_a_village_serving_pages_loads_no_postgresql_driver_nor_http_client(make_node):
    # Memory on a Raspberry Pi: psycopg costs a serving process about 10 MB, requests a few more; a
    # village needs neither until it syncs with its hub.
    node, _ = make_node(lang="en")
    script = ("import sys\n"
              "from pathlib import Path\n"
              "from village import create_app\n"
              "from village.node import load_node\n"
              "import village.ops.serve, village.ops.scheduler\n"
              "app = create_app({'NODE': load_node(Path(sys.argv[1]))})\n"
              "assert app.test_client().get('/').status_code == 200\n"
              "print(sorted({m.split('.')[0] for m in sys.modules} & {'psycopg', 'psycopg_pool', 'requests'}))\n")
    done = subprocess.run([sys.executable, "-c", script, str(node.data_dir)], capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
