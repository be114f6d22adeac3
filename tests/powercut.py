"""Power cuts for tests: run a `village` command and kill it -9 at a random moment."""
import os
import signal
import subprocess
import sys
import time


def run_and_cut(data_dir, args, rng, low, high):
    """Run `village ARGS` on `data_dir`; kill -9 it after low..high seconds if still running.

    Return (killed, exit code): exit code is None when it was killed.
    """
    proc = subprocess.Popen([sys.executable, "-m", "village", *args], env={**os.environ, "VILLAGE_DATA": str(data_dir)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(rng.uniform(low, high))
    killed = proc.poll() is None
    if killed:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    return killed, None if killed else proc.returncode
