"""Power cuts for tests: run a `village` command and kill it -9 at a named point of its work.

The point is "module:function:n": the child stops at the start of the n-th call of that
function (say the 10,000th row of an import, or the second batch the hub acknowledged),
touches a marker file and waits there to be killed. The cut lands where the test says, on
a slow machine as on a fast one, instead of after a sleep that may fall before or after it.
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

# Runs in the child: wrap the named function, then run `village` as `python -m village` would.
CHILD = """
import importlib, runpy, sys, time
(module_name, name, nth), marker = sys.argv[1].split(":"), sys.argv[2]
module = importlib.import_module(module_name)
real, calls = getattr(module, name), [0]

def paused(*args, **kwargs):
    calls[0] += 1
    if calls[0] == int(nth):
        open(marker, "w").close()
        while True:
            time.sleep(60)  # the test kills us here
    return real(*args, **kwargs)

setattr(module, name, paused)
sys.argv = ["village", *sys.argv[3:]]
runpy.run_module("village", run_name="__main__", alter_sys=True)
"""
WAIT_SECONDS = 300  # a point the child never reaches shows as its normal exit, long before this


def run_and_cut(data_dir, args, at):
    """Run `village ARGS` on `data_dir`; kill -9 it when it reaches the point `at` ("module:function:n").

    Return (killed, exit code): killed is False when the command ended before reaching the
    point; the exit code is None when it was killed.
    """
    # Outside the data directory: `village check` would report a stray file there.
    marker = os.path.join(tempfile.gettempdir(), f"village-cut-{os.getpid()}-{time.monotonic_ns()}")
    proc = subprocess.Popen([sys.executable, "-c", CHILD, at, marker, *args],
                            env={**os.environ, "VILLAGE_DATA": str(data_dir)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + WAIT_SECONDS
    while not os.path.exists(marker) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    killed = os.path.exists(marker)
    if killed:
        proc.send_signal(signal.SIGKILL)
        os.unlink(marker)
    elif proc.poll() is None:
        proc.kill()
        proc.wait()
        raise AssertionError(f"village {' '.join(args)} neither reached {at} nor ended")
    proc.wait()
    return killed, None if killed else proc.returncode
